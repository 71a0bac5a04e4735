import { streamIdTime } from '@repute/core';
import type { RedisClient, ReputationStore, UpdateEntry, UpdateTail } from '@repute/store';
import type { WatchlistStore } from './watchlist-store.ts';
import type { WebhookSender } from './webhook-sender.ts';

/** What a watcher is told when a watched indicator's verdict changes. */
export interface WatchEvent {
  /** Update-stream position of the change: unique, ordered, usable as an SSE id. */
  id: string;
  type: 'verdict_changed' | 'record_removed';
  watchlist: string;
  kind: string;
  value: string;
  verdict: string;
  version: number | null;
  time: string;
}

export type WatchListener = (event: WatchEvent) => void;

export interface WatchDispatcher {
  /** Subscribes to a tenant's events; returns the unsubscribe. */
  subscribe(tenant: string, listener: WatchListener): () => void;
  stop(): Promise<void>;
}

/** How long a "this instance sends that webhook" claim lives: longer than any retry schedule. */
const CLAIM_TTL_S = 86_400;

/**
 * Tails the reputation update stream from now on and turns record changes of watched keys into
 * events: pushed to this process's SSE subscribers, and posted to each watchlist's webhook by
 * exactly one instance (a SET NX claim per change and watchlist), however many run.
 */
export function startWatchDispatcher(deps: { store: ReputationStore; redis: RedisClient; prefix: string; watchlists: WatchlistStore; webhooks: WebhookSender; since: string; onError?: (err: Error) => void }): WatchDispatcher {
  const listeners = new Map<string, Set<WatchListener>>();

  async function onEntries(entries: UpdateEntry[]): Promise<void> {
    const changes = entries.filter((e) => (e.op === 'put' || e.op === 'del') && e.key !== undefined);
    if (changes.length === 0) return;
    const watchers = await deps.watchlists.watchers([...new Set(changes.map((e) => e.key!))]);
    if (watchers.size === 0) return;
    const lists = new Map<string, Promise<{ url: string; secret: string } | undefined>>();
    for (const entry of changes) {
      for (const w of watchers.get(entry.key!) ?? []) {
        const event: WatchEvent = {
          id: entry.id,
          type: entry.op === 'put' ? 'verdict_changed' : 'record_removed',
          watchlist: w.name,
          kind: w.kind,
          value: w.value,
          verdict: entry.op === 'put' ? (entry.verdict ?? 'unknown') : 'unknown',
          version: entry.version ?? null,
          time: new Date(streamIdTime(entry.id)).toISOString(),
        };
        for (const listener of listeners.get(w.tenant) ?? []) listener(event);
        const listId = `${w.tenant}\u0000${w.name}`;
        let hook = lists.get(listId);
        if (hook === undefined) lists.set(listId, (hook = deps.watchlists.get(w.tenant, w.name).then((l) => l?.webhook)));
        const target = await hook;
        if (target === undefined) continue;
        const claim = `${deps.prefix}analyst:wl:sent:${entry.id}:${encodeURIComponent(w.tenant)}:${w.name}:${entry.key}`;
        if ((await deps.redis.set(claim, '1', 'EX', CLAIM_TTL_S, 'NX')) !== 'OK') continue;
        deps.webhooks.send(target, JSON.stringify({ ...event, tenant: w.tenant }));
      }
    }
  }

  const tail: UpdateTail = deps.store.tailUpdates({
    since: deps.since,
    blockMs: 1000,
    onEntries: async (entries) => {
      try {
        await onEntries(entries);
      } catch (err) {
        // A failed lookup of watchers must not stop the tail; the entries are skipped.
        deps.onError?.(err as Error);
      }
    },
    ...(deps.onError !== undefined ? { onError: deps.onError } : {}),
  });

  return {
    subscribe(tenant, listener) {
      let set = listeners.get(tenant);
      if (set === undefined) listeners.set(tenant, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(tenant);
      };
    },
    async stop() {
      await tail.stop();
    },
  };
}
