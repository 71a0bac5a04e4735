import { decodeRecord, isAliasKey } from '@repute/core';
import type { ReputationStore } from '@repute/store';
import type { CachedValue, KeyCache } from './key-cache.ts';
import { recordFacts } from './list-facts.ts';

/** Counters the read path reports (wired to prom-client by the plugin). */
export interface ReadHooks {
  onRoundTrip(keys: number): void;
  onError(err: Error): void;
}

interface Waiter {
  resolve(value: CachedValue): void;
  reject(err: Error): void;
}

/**
 * Reads keys the cache does not hold, gathering every key asked for in one turn of the event
 * loop into one MGET: a UDP socket hands over all datagrams that arrived since the last poll
 * in one turn, so under load one round trip serves a whole burst of queries instead of one each.
 * A key already being read is not read again (an outbreak name asked by every resolver at once).
 */
export class KeyReader {
  private readonly store: ReputationStore;
  private readonly cache: KeyCache;
  private readonly hooks: ReadHooks;
  private pending = new Map<string, Waiter[]>();
  private scheduled = false;
  private readonly inflight = new Map<string, Promise<CachedValue>>();

  constructor(store: ReputationStore, cache: KeyCache, hooks: ReadHooks) {
    this.store = store;
    this.cache = cache;
    this.hooks = hooks;
  }

  /** The key's value from Redis (cached on the way); rejects when Redis could not answer. */
  read(key: string): Promise<CachedValue> {
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    const promise = new Promise<CachedValue>((resolve, reject) => {
      let waiters = this.pending.get(key);
      if (waiters === undefined) this.pending.set(key, (waiters = []));
      waiters.push({ resolve, reject });
    });
    this.inflight.set(key, promise);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return promise;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    const ticket = this.cache.beginRead();
    let raw: (string | null)[];
    try {
      this.hooks.onRoundTrip(keys.length);
      raw = await this.store.getManyRaw(keys);
    } catch (err) {
      this.cache.endRead(ticket);
      this.hooks.onError(err as Error);
      for (const key of keys) {
        this.inflight.delete(key);
        for (const w of batch.get(key)!) w.reject(err as Error);
      }
      return;
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const value = this.decode(key, raw[i] ?? null);
      this.cache.setFromRead(key, value, ticket);
      this.inflight.delete(key);
      for (const w of batch.get(key)!) w.resolve(value);
    }
    this.cache.endRead(ticket);
  }

  private decode(key: string, text: string | null): CachedValue {
    if (text === null) return null;
    if (isAliasKey(key)) return text;
    try {
      return recordFacts(decodeRecord(text));
    } catch (err) {
      // A record that does not decode answers as absent, as at the edge.
      this.hooks.onError(err as Error);
      return null;
    }
  }
}
