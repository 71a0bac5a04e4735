import { cacheKey } from './answer-cache.ts';
import type { Answer, PendingItem } from './types.ts';

/** Listener of {@link PendingSet.resolve}. */
export type ResolvedListener = (item: PendingItem, answer: Answer) => void;

/** Items answered `pending`, and who to tell when the service confirms them. */
export class PendingSet {
  private readonly items = new Map<string, PendingItem>();
  private readonly listeners = new Set<ResolvedListener>();
  private readonly max: number;

  /** @param max most items kept for re-checking */
  constructor(max: number) {
    this.max = max;
  }

  /** Remembers an item for re-checking (once, however often it is asked). */
  add(item: Omit<PendingItem, 'since'>): void {
    const key = cacheKey(item.kind, item.value);
    if (this.items.has(key) || this.items.size >= this.max) return;
    this.items.set(key, { ...item, since: Date.now() });
  }

  /** The items, oldest first. */
  list(): PendingItem[] {
    return [...this.items.values()];
  }

  /** Number of items waiting. */
  get size(): number {
    return this.items.size;
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: ResolvedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets a confirmed item and tells the listeners, if it was pending. */
  resolve(kind: string, value: string, answer: Answer): void {
    const key = cacheKey(kind, value);
    const item = this.items.get(key);
    if (item === undefined) return;
    this.items.delete(key);
    for (const listener of this.listeners) {
      try {
        listener(item, answer);
      } catch {
        // A failing listener must not stop the others or the re-check.
      }
    }
  }
}
