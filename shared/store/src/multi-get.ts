import { keySlot } from './key-slot.ts';
import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './create-redis.ts';

/**
 * Reads many string keys in one round trip per server: MGET on a single Redis; on a cluster
 * the keys are grouped by the node owning their slot and sent as one GET pipeline per node,
 * because a multi-key command across hash slots is refused.
 */
export async function multiGet(redis: RedisClient, keys: readonly string[]): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  if (!isCluster(redis)) return await redis.mget(keys as string[]);
  const byNode = new Map<string, number[]>();
  const slots = redis.slots;
  for (let i = 0; i < keys.length; i++) {
    const owner = slots[keySlot(keys[i]!)]?.[0] ?? '';
    let list = byNode.get(owner);
    if (list === undefined) byNode.set(owner, (list = []));
    list.push(i);
  }
  const nodes = new Map<string, Redis>();
  for (const node of redis.nodes('master')) nodes.set(`${node.options.host}:${node.options.port}`, node);
  const out: (string | null)[] = new Array(keys.length).fill(null);
  await Promise.all(
    [...byNode].map(async ([owner, indexes]) => {
      const node = nodes.get(owner);
      if (node === undefined) {
        // Slot map not known yet (or moving): let the cluster client route each key itself.
        const values = await Promise.all(indexes.map((i) => redis.get(keys[i]!)));
        values.forEach((v, j) => { out[indexes[j]!] = v; });
        return;
      }
      const pipeline = node.pipeline();
      for (const i of indexes) pipeline.get(keys[i]!);
      const results = (await pipeline.exec()) ?? [];
      for (let j = 0; j < indexes.length; j++) {
        const [err, value] = results[j] ?? [new Error('missing reply'), null];
        // A MOVED reply during resharding: fall back to the routed single command.
        out[indexes[j]!] = err ? await redis.get(keys[indexes[j]!]!) : (value as string | null);
      }
    }),
  );
  return out;
}
