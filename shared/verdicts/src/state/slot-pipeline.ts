import { isCluster, keySlot, type RedisClient } from '@repute/store';

/** A command whose first argument is its only key: `['hset', key, field, value]`. */
export type KeyCommand = [name: string, key: string, ...args: (string | number)[]];

/**
 * Runs commands in as few round trips as the client allows and returns their replies in order.
 * A single Redis takes them in one pipeline. A Redis Cluster refuses a pipeline whose keys lie
 * in several slots ("All keys in the pipeline should belong to the same slots allocation
 * group"), so there the commands go as one pipeline per slot, all slots at once; the order of
 * the commands of one key is kept.
 */
export async function execBySlot(redis: RedisClient, commands: KeyCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  const bySlot = new Map<number, number[]>();
  if (isCluster(redis)) {
    commands.forEach((c, i) => {
      const slot = keySlot(c[1]);
      const list = bySlot.get(slot);
      if (list === undefined) bySlot.set(slot, [i]);
      else list.push(i);
    });
  } else {
    bySlot.set(0, commands.map((_, i) => i));
  }
  const replies = new Array<unknown>(commands.length);
  await Promise.all([...bySlot.values()].map(async (indexes) => {
    const results = (await redis.pipeline(indexes.map((i) => commands[i]!)).exec()) ?? [];
    results.forEach(([err, reply], j) => {
      if (err) throw err;
      replies[indexes[j]!] = reply;
    });
  }));
  return replies;
}
