import type { RedisClient } from '@repute/store';

export interface WatchedIndicator {
  kind: string;
  value: string;
  key: string;
}

export interface Watchlist {
  tenant: string;
  name: string;
  indicators: WatchedIndicator[];
  webhook?: { url: string; secret: string };
  updated_at: string;
}

/** Who watches a record key, as the stream tailer needs it: no watchlist read per update. */
export interface Watcher {
  tenant: string;
  name: string;
  kind: string;
  value: string;
}

/**
 * Watchlists in Redis: one key per (tenant, name), a name set per tenant, and a reverse index
 * per record key so an update-stream entry finds its watchers in one SMEMBERS.
 */
export interface WatchlistStore {
  put(list: Watchlist): Promise<void>;
  get(tenant: string, name: string): Promise<Watchlist | null>;
  names(tenant: string): Promise<string[]>;
  remove(tenant: string, name: string): Promise<boolean>;
  watchers(recordKeys: string[]): Promise<Map<string, Watcher[]>>;
}

export function createWatchlistStore(redis: RedisClient, prefix: string): WatchlistStore {
  const t = (tenant: string) => encodeURIComponent(tenant);
  const listKey = (tenant: string, name: string) => `${prefix}analyst:wl:${t(tenant)}:${name}`;
  const namesKey = (tenant: string) => `${prefix}analyst:wl:names:${t(tenant)}`;
  const byKey = (recordKey: string) => `${prefix}analyst:wl:by:${recordKey}`;
  const member = (tenant: string, name: string, i: WatchedIndicator) => JSON.stringify([tenant, name, i.kind, i.value]);

  const get = async (tenant: string, name: string): Promise<Watchlist | null> => {
    const text = await redis.get(listKey(tenant, name));
    return text === null ? null : (JSON.parse(text) as Watchlist);
  };

  async function unindex(list: Watchlist, keep: Set<string>): Promise<void> {
    const pipeline = redis.pipeline();
    for (const i of list.indicators) if (!keep.has(i.key)) pipeline.srem(byKey(i.key), member(list.tenant, list.name, i));
    await pipeline.exec();
  }

  return {
    async put(list) {
      const previous = await get(list.tenant, list.name);
      if (previous !== null) await unindex(previous, new Set(list.indicators.map((i) => i.key)));
      await redis.set(listKey(list.tenant, list.name), JSON.stringify(list));
      await redis.sadd(namesKey(list.tenant), list.name);
      const pipeline = redis.pipeline();
      for (const i of list.indicators) pipeline.sadd(byKey(i.key), member(list.tenant, list.name, i));
      await pipeline.exec();
    },
    get,
    async names(tenant) {
      return (await redis.smembers(namesKey(tenant))).sort();
    },
    async remove(tenant, name) {
      const previous = await get(tenant, name);
      if (previous === null) return false;
      await unindex(previous, new Set());
      await redis.del(listKey(tenant, name));
      await redis.srem(namesKey(tenant), name);
      return true;
    },
    async watchers(recordKeys) {
      const out = new Map<string, Watcher[]>();
      if (recordKeys.length === 0) return out;
      const pipeline = redis.pipeline();
      for (const k of recordKeys) pipeline.smembers(byKey(k));
      const replies = (await pipeline.exec()) ?? [];
      recordKeys.forEach((k, n) => {
        const [err, members] = replies[n] ?? [null, []];
        if (err !== null || !Array.isArray(members) || members.length === 0) return;
        out.set(k, (members as string[]).map((m) => {
          const [tenant, name, kind, value] = JSON.parse(m) as [string, string, string, string];
          return { tenant, name, kind, value };
        }));
      });
      return out;
    },
  };
}
