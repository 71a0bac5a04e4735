import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { closeTestServices, deleteKeysWithPrefix, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { OBSERVE_BATCH_SCRIPT } from '../src/state/observe-script.ts';

after(() => closeTestServices());

type Event = (string | number | null)[];

/** An event in the script's layout: set, id hash, sensor, tenant, time, signed, word field, word. */
const sighting = (hash: string, time: string | number | null, sensor = 's1'): Event => [1, hash, `t1/${sensor}`, 't1', time, 0, '', ''];
const detection = (hash: string, time: string | number | null, engine: string): Event => [1, hash, 't1/s1', 't1', time, 0, `w|engine|t1|${engine}`, 'malicious|0'];

async function setup(t: TestContext) {
  const redis = new Redis(await testRedisUrl());
  const prefix = `${uniqueName('observe')}:`;
  t.after(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });
  const expiry = Math.floor(Date.now() / 1000) + 600;
  const keysOf = (name: string) => [`${prefix}${name}`, `${prefix}${name}:hs`, `${prefix}${name}:ht`, `${prefix}${name}:d`];
  /** Runs one call over indicators given as [name, events]. */
  const observe = async (indicators: [string, Event[]][]): Promise<[string, string[]][]> => {
    const keys = indicators.flatMap(([name]) => keysOf(name));
    const data = indicators.map(([name, events]) => [name, [expiry], ...events.flat()]);
    return (await redis.eval(OBSERVE_BATCH_SCRIPT, keys.length, ...keys, JSON.stringify(data))) as [string, string[]][];
  };
  const count = async (name: string) => Number((await redis.hget(`${prefix}${name}`, 'n')) ?? 0);
  return { redis, prefix, observe, count, keysOf, expiry };
}

test('an event whose values are of the wrong type is refused alone; the rest of its indicator and the indicators after it are applied', async (t) => {
  const { observe, count } = await setup(t);
  const now = Date.now();
  await observe([['b', [sighting('1', String(now))]]]);
  const replies = await observe([
    ['a', [sighting('2', String(now))]],
    // A time that is not a number, met by a stored one and by a word; then one of the wrong type.
    ['b', [detection('3', 'yesterday', 'av'), sighting('4', String(now + 1)), sighting('5', now)]],
    ['c', [sighting('6', String(now)), [1, '7', 't1/s1', 't1', String(now), 0, 'w|engine|t1|av', 'no-bar']]],
  ]);
  assert.deepEqual(replies.map((r) => r[0]), ['1', 'x1x', '1x']);
  assert.equal(await count('a'), 1);
  assert.equal(await count('b'), 2, 'the valid events of the indicator with a bad one are counted');
  assert.equal(await count('c'), 1, 'the indicator after it is applied');
  // The refused events were never marked as seen: a corrected redelivery would be applied.
  const again = await observe([['b', [sighting('3', String(now))]]]);
  assert.equal(again[0]![0], '1');
});

test('a call whose layout is wrong fails before it writes anything', async (t) => {
  const { redis, prefix, keysOf, expiry } = await setup(t);
  const data = [['a', [expiry], ...sighting('1', String(Date.now()))], ['b', [expiry, expiry], ...sighting('2', String(Date.now()))]];
  // Keys for one dedup set of `b` where its layout names two.
  const keys = [...keysOf('a'), ...keysOf('b')];
  await assert.rejects(redis.eval(OBSERVE_BATCH_SCRIPT, keys.length, ...keys, JSON.stringify(data)), /ERR observe: 8 keys for a layout that needs 9/);
  const [, written] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
  assert.deepEqual(written, []);
});

test('an indicator with thousands of distinct words in one call is written whole', async (t) => {
  const { observe, count, redis, prefix } = await setup(t);
  const now = String(Date.now());
  // Engine names are the sensors' own: nothing bounds how many one batch carries.
  const events = Array.from({ length: 5_000 }, (_, i) => detection(String(i + 1), now, `engine-${i}`));
  const [reply] = await observe([['hot', events]]);
  assert.equal(reply![0], '1'.repeat(5_000));
  assert.equal(await count('hot'), 5_000);
  assert.equal((await redis.hkeys(`${prefix}hot`)).filter((f) => f.startsWith('w|')).length, 5_000);
});
