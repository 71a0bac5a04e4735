import { isCluster, type RedisClient } from '@repute/store';
import { GRAPH_PREFIX, OVERRIDE_FIELD, stateKeys } from '@repute/verdicts';

/** Set once the state of a deployment is in the current layout. */
const layoutKey = (prefix: string) => `${prefix}corr:layout`;
const LAYOUT = '2';

/**
 * Moves one key of the earlier layout into the indicator's state hash, then deletes it. Both
 * keys share the indicator's hash tag, hence one slot. A field the state hash holds already
 * was written since, and stays.
 * KEYS: the old key, the state hash. ARGV[1]: 'o' (override, a JSON string) or 'g' (graph
 * evidence, a hash of source record key to evidence JSON).
 */
const MOVE_SCRIPT = `
local moved = 0
if ARGV[1] == 'o' then
  local v = redis.call('GET', KEYS[1])
  if v then moved = redis.call('HSETNX', KEYS[2], '${OVERRIDE_FIELD}', v) end
else
  local flat = redis.call('HGETALL', KEYS[1])
  for i = 1, #flat, 2 do moved = moved + redis.call('HSETNX', KEYS[2], '${GRAPH_PREFIX}' .. flat[i], flat[i + 1]) end
end
redis.call('DEL', KEYS[1])
return moved
`;

/** A key prefix as a SCAN pattern that matches it literally. */
const literal = (text: string) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * Brings state written by the earlier layout into the current one: the analyst override and
 * the graph evidence of an indicator were keys of their own (`…:o`, `…:g`) and are now fields
 * of its state hash (`o`, `g|<source>`), which the scoring reads alone; left where they were,
 * overrides and propagated evidence would silently stop counting after an upgrade. Runs at
 * start, before the consumer subscribes; a marker makes every later start a single GET.
 */
export async function migrateStateLayout(redis: RedisClient, prefix: string): Promise<{ overrides: number; graph: number }> {
  const moved = { overrides: 0, graph: 0 };
  if ((await redis.get(layoutKey(prefix))) === LAYOUT) return moved;
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  const pattern = `${literal(prefix)}corr:{*}:[og]`;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const kind = key.at(-1) as 'o' | 'g';
        const state = stateKeys(prefix, key.slice(key.indexOf('{', prefix.length) + 1, key.lastIndexOf('}'))).state;
        const n = Number(await redis.eval(MOVE_SCRIPT, 2, key, state, kind));
        if (kind === 'o') moved.overrides += n;
        else moved.graph += n;
      }
    } while (cursor !== '0');
  }
  await redis.set(layoutKey(prefix), LAYOUT);
  return moved;
}
