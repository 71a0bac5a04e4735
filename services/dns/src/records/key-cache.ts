import type { RecordFacts } from './list-facts.ts';

/** A cached key: a record's facts, an alias's SHA-256 target, or null (no such key). */
export type CachedValue = RecordFacts | string | null;

/**
 * A cached key's value as one read stored it. It stays live until the key changes, is evicted
 * or the cache is cleared, so whatever was decided from it can tell in one property read
 * whether that still holds.
 */
export interface CacheSlot {
  readonly value: CachedValue;
  live: boolean;
}

/**
 * Keys the DNS answers read, held in process and dropped when the update stream says they
 * changed. Eviction is by insertion order, not use: refreshing an entry on every hit costs a
 * Map delete and set per query on the hottest path, and a changed record is re-inserted anyway.
 *
 * A read races the stream: when a key changes while it is being read, the value read may be
 * the old one, and caching it would serve the old answer until the next change. So each read
 * takes a ticket, an invalidation notes the newest ticket issued, and a read keeps its result
 * out of the cache when the key was invalidated after its ticket was taken.
 */
export class KeyCache {
  private readonly maxEntries: number;
  private readonly entries = new Map<string, CacheSlot>();
  private readonly invalidatedAt = new Map<string, number>();
  private readonly open = new Set<number>();
  private ticket = 0;
  // Reads holding a ticket up to this one began before the last clear().
  private clearedAt = 0;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedValue | undefined {
    return this.entries.get(key)?.value;
  }

  slot(key: string): CacheSlot | undefined {
    return this.entries.get(key);
  }

  /** A ticket for a read about to start; give it back with {@link endRead}. */
  beginRead(): number {
    const t = ++this.ticket;
    this.open.add(t);
    return t;
  }

  /** Stores what a read found, unless the key changed since the read's ticket was taken. */
  setFromRead(key: string, value: CachedValue, ticket: number): void {
    if (this.maxEntries === 0) return;
    const changed = this.invalidatedAt.get(key);
    if (ticket <= this.clearedAt || (changed !== undefined && changed >= ticket)) return;
    const held = this.entries.get(key);
    if (held !== undefined) held.live = false;
    else if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.entries().next();
      if (oldest.done !== true) {
        oldest.value[1].live = false;
        this.entries.delete(oldest.value[0]);
      }
    }
    this.entries.set(key, { value, live: true });
  }

  endRead(ticket: number): void {
    this.open.delete(ticket);
    if (this.open.size === 0) this.invalidatedAt.clear();
    else if (this.invalidatedAt.size > 10_000) {
      // Under constant load some read is always open: forget invalidations no open read predates.
      let oldest = Infinity;
      for (const t of this.open) if (t < oldest) oldest = t;
      for (const [key, at] of this.invalidatedAt) if (at < oldest) this.invalidatedAt.delete(key);
    }
  }

  /** Drops a key the stream says changed. */
  invalidate(key: string): void {
    const held = this.entries.get(key);
    if (held !== undefined) {
      held.live = false;
      this.entries.delete(key);
    }
    if (this.open.size > 0) this.invalidatedAt.set(key, this.ticket);
  }

  clear(): void {
    for (const held of this.entries.values()) held.live = false;
    this.entries.clear();
    // Reads in flight must not fill the cache with what they found before the clear.
    this.clearedAt = this.ticket;
  }
}
