import { isReputationKey, streamIdTime } from '@repute/core';
import type { ReputationStore, UpdateEntry, UpdateTail } from '@repute/store';

/** One record change as the analysts' live feed tells it. */
export interface VerdictEvent {
  /** Update-stream position of the change: unique, ordered, usable as an SSE id. */
  id: string;
  type: 'verdict_changed' | 'record_removed';
  kind: string;
  /** The canonical value, or '' when the record is gone (the stream names keys, not values). */
  value: string;
  digest: string;
  verdict: string;
  score: number | null;
  version: number | null;
  time: string;
  /**
   * Verdicts of the tenants with a view of their own (their evidence alone, or their own
   * override), by tenant: the route answers each subscriber with its tenant's and sends none of these.
   */
  byTenant?: Record<string, string>;
}

export type VerdictListener = (event: VerdictEvent) => void;

export interface VerdictFeed {
  /** Subscribes to every record change from the moment it resolves; resolves to the unsubscribe. */
  subscribe(listener: VerdictListener): Promise<() => void>;
  /** The newest record changes, at most `count`, oldest first, as a subscriber would have heard them. */
  recent(count: number): Promise<VerdictEvent[]>;
  /** Listeners subscribed now. */
  size(): number;
  stop(): Promise<void>;
}

/**
 * One tail of the reputation update stream shared by every feed subscriber of this process:
 * a blocking Redis connection per open console would not scale with analysts. The tail starts
 * with the first subscriber, from the stream's newest entry, and runs until `stop`.
 */
export function createVerdictFeed(deps: { store: ReputationStore; blockMs?: number; onError?: (err: Error) => void }): VerdictFeed {
  const listeners = new Set<VerdictListener>();
  let tail: UpdateTail | undefined;
  let starting: Promise<void> | undefined;
  let stopped = false;

  const isChange = (e: UpdateEntry): boolean => (e.op === 'put' || e.op === 'del') && e.key !== undefined && isReputationKey(e.key);

  /** The events of record-change entries; the stream names the key, the value and score come from the record as it is now. */
  async function eventsOf(changes: UpdateEntry[]): Promise<VerdictEvent[]> {
    if (changes.length === 0) return [];
    const records = await deps.store.getMany(changes.map((e) => e.key!));
    return changes.map((entry, n) => {
      const record = entry.op === 'put' ? records[n] : null;
      const [, kind = '', digest = ''] = entry.key!.split(':');
      return {
        id: entry.id,
        type: entry.op === 'put' ? 'verdict_changed' : 'record_removed',
        kind: entry.kind ?? kind,
        value: record?.value ?? '',
        digest: entry.digest ?? digest,
        verdict: entry.op === 'put' ? (entry.verdict ?? record?.verdict ?? 'unknown') : 'unknown',
        score: record?.score ?? null,
        version: entry.version ?? record?.version ?? null,
        time: new Date(streamIdTime(entry.id)).toISOString(),
        ...(record?.views !== undefined ? { byTenant: Object.fromEntries(Object.entries(record.views).map(([tenant, v]) => [tenant, v.verdict])) } : {}),
      } satisfies VerdictEvent;
    });
  }

  async function onEntries(entries: UpdateEntry[]): Promise<void> {
    const changes = entries.filter(isChange);
    if (changes.length === 0 || listeners.size === 0) return;
    for (const event of await eventsOf(changes)) for (const listener of listeners) listener(event);
  }

  function start(): Promise<void> {
    starting ??= (async () => {
      const range = await deps.store.updatesRange();
      if (stopped) return;
      tail = deps.store.tailUpdates({
        since: range.last,
        blockMs: deps.blockMs ?? 1000,
        onEntries: async (entries) => {
          try {
            await onEntries(entries);
          } catch (err) {
            // A failed record read must not stop the tail; those entries are skipped.
            deps.onError?.(err as Error);
          }
        },
        ...(deps.onError !== undefined ? { onError: deps.onError } : {}),
      });
    })();
    return starting;
  }

  return {
    async subscribe(listener) {
      try {
        await start();
      } catch (err) {
        // The next subscriber tries again.
        starting = undefined;
        throw err;
      }
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    async recent(count) {
      // Filters and snapshot notices share the stream: read past them, a bounded number of times.
      let scan = Math.max(count * 4, 100);
      for (;;) {
        const entries = await deps.store.latestUpdates(scan);
        const changes = entries.filter(isChange);
        if (changes.length >= count || entries.length < scan || scan >= 10_000) return await eventsOf(changes.slice(-count));
        scan *= 4;
      }
    },
    size: () => listeners.size,
    async stop() {
      stopped = true;
      listeners.clear();
      await starting?.catch(() => undefined);
      await tail?.stop();
    },
  };
}
