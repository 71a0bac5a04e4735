import type { EdgeRecord } from './tenant-records.ts';

/** What the cache holds per key: a record, an alias target (SHA-256 hex), or null for "confirmed absent". */
export type CachedValue = EdgeRecord | string | null;

interface Entry {
  value: CachedValue;
  bytes: number;
  expiresAt: number;
}

/**
 * LRU of hot records bounded by entry count and approximate bytes, with a TTL. The update
 * stream invalidates entries as records change, so the TTL is only a safety net; expired
 * entries are still served when Redis is away (the answer then says it is degraded).
 */
export class RecordCache {
  hits = 0;
  misses = 0;
  /**
   * Redis reads under way, by key, for lookups to share. A change announced by the stream
   * drops the key here too, so a lookup that starts after it never takes an older read's value.
   */
  readonly inflight = new Map<string, Promise<Map<string, CachedValue> | null>>();
  private readonly map = new Map<string, Entry>();
  private bytes = 0;
  /**
   * A Redis read that started before the stream announced a change may complete after it: its
   * value must then answer only the request that asked, never fill the cache, or the edge would
   * serve the older record until the TTL ran out. Invalidations are numbered and remembered
   * while any read is under way.
   */
  private epoch = 0;
  private clearedAt = 0;
  private readsUnderWay = 0;
  private readonly invalidatedAt = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly ttlMs: number;

  constructor(options: { maxEntries: number; maxBytes: number; ttlMs: number }) {
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes;
    this.ttlMs = options.ttlMs;
  }

  get size(): number {
    return this.map.size;
  }

  /** The cached value, or undefined on a miss (or an expired entry unless `allowStale`). */
  get(key: string, allowStale = false): CachedValue | undefined {
    const entry = this.map.get(key);
    if (entry === undefined || (!allowStale && entry.expiresAt < Date.now())) {
      this.misses++;
      return undefined;
    }
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.map.delete(key);
    this.map.set(key, entry);
    this.hits++;
    return entry.value;
  }

  set(key: string, value: CachedValue, approxBytes: number): void {
    if (this.maxEntries === 0) return;
    const old = this.map.get(key);
    if (old !== undefined) {
      this.bytes -= old.bytes;
      this.map.delete(key);
    }
    const bytes = approxBytes + key.length + 64;
    this.map.set(key, { value, bytes, expiresAt: Date.now() + this.ttlMs });
    this.bytes += bytes;
    while (this.map.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.map.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
  }

  /** Marks the start of a Redis read; pass the result to `setFromRead` and call `endRead`. */
  beginRead(): number {
    this.readsUnderWay++;
    return this.epoch;
  }

  endRead(): void {
    this.readsUnderWay--;
    if (this.readsUnderWay <= 0) {
      this.readsUnderWay = 0;
      this.invalidatedAt.clear();
    }
  }

  /** Caches a value read from Redis unless the key changed since the read began; true when cached. */
  setFromRead(key: string, value: CachedValue, approxBytes: number, readEpoch: number): boolean {
    if (this.clearedAt > readEpoch) return false;
    const changedAt = this.invalidatedAt.get(key);
    if (changedAt !== undefined && changedAt > readEpoch) return false;
    this.set(key, value, approxBytes);
    return true;
  }

  delete(key: string): void {
    this.epoch++;
    if (this.readsUnderWay > 0) this.invalidatedAt.set(key, this.epoch);
    this.inflight.delete(key);
    const entry = this.map.get(key);
    if (entry === undefined) return;
    this.bytes -= entry.bytes;
    this.map.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.clearedAt = this.epoch;
    this.inflight.clear();
    this.map.clear();
    this.bytes = 0;
  }
}
