import type { Answer } from './types.ts';

interface Entry {
  answer: Answer;
  expiresAt: number;
}

/** A cache lookup: the answer with its remaining TTL, and whether it is still fresh. */
export interface CachedAnswer {
  answer: Answer;
  fresh: boolean;
}

/**
 * Answers by kind and canonical value, least recently used first out, each kept for the TTL the
 * service gave it. Expired entries stay until evicted: offline mode may still show them, as
 * pending, when the service cannot be asked.
 */
export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;

  /** @param maxEntries most answers kept (0 keeps none) */
  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  /** The cached answer of an indicator, fresh or expired, or undefined. */
  get(key: string, now: number): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Map order is insertion order: re-inserting marks it most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    const remaining = Math.floor((entry.expiresAt - now) / 1000);
    return { answer: { ...entry.answer, ttl: Math.max(0, remaining) }, fresh: entry.expiresAt > now };
  }

  /** Keeps an answer for `ttlSeconds` (nothing is kept for 0). */
  set(key: string, answer: Answer, ttlSeconds: number, now: number): void {
    if (this.maxEntries === 0 || !(ttlSeconds > 0)) return;
    this.entries.delete(key);
    this.entries.set(key, { answer, expiresAt: now + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Number of answers held. */
  get size(): number {
    return this.entries.size;
  }
}

/** The cache key of an indicator. */
export function cacheKey(kind: string, canonicalValue: string): string {
  return `${kind}\u0000${canonicalValue}`;
}
