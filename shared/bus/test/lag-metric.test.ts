import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import { Registry } from 'prom-client';
import { waitFor } from '@repute/infra';
import { closeTestServices, deleteKeysWithPrefix, testKafkaBrokers, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { instrumentBus, KafkaBus, RedisBus, type Bus, type Subscription } from '../src/index.ts';
import { LAG_COUNT_CAP } from '../src/redis-lag.ts';

after(() => closeTestServices());

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const payload = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ id: `m-${i}` }) }));

/** The gauge's values on a scrape, by `topic/group`. */
async function lagOnPage(registry: Registry): Promise<Map<string, number>> {
  const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('repute_bus_consumer_lag_messages{'));
  return new Map(lines.map((l) => {
    const topic = /topic="([^"]*)"/.exec(l)?.[1];
    const group = /group="([^"]*)"/.exec(l)?.[1];
    return [`${topic}/${group}`, Number(l.split(' ').at(-1))];
  }));
}

// The launcher shares one registry between ingest's bus (publishes only) and the correlator's
// (consumes): the lag of the correlator's group must show whichever bus registered first.
test('every bus instrumented on a registry reports the lag of the groups it consumes', async (t) => {
  const url = await testRedisUrl();
  const keyPrefix = `${uniqueName('lagmetric')}:`;
  const registry = new Registry();
  const raw = (): RedisBus => new RedisBus({ url, keyPrefix, blockMs: 100, trimIntervalMs: 3_600_000, log: silent });
  const publisher = instrumentBus(raw(), registry);
  const consumerA = instrumentBus(raw(), registry);
  const consumerB = instrumentBus(raw(), registry);
  const buses: Bus[] = [publisher, consumerA, consumerB];
  t.after(async () => { await Promise.allSettled(buses.map((b) => b.close())); });

  const topic = 'telemetry.v1';
  await publisher.publish(topic, payload(5));
  assert.deepEqual(await lagOnPage(registry), new Map(), 'nothing consumed through this registry yet');

  // Group `stuck` holds its first batch, so its lag stays at the number published.
  let release = (): void => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  let inHand = false;
  const stuck = await consumerA.subscribe({ topic, group: 'stuck', batchSize: 100, handler: async () => { inHand = true; await held; } });
  const seen = new Set<string>();
  const flowing = await consumerB.subscribe({ topic, group: 'flowing', handler: async (batch) => { for (const m of batch) seen.add(m.id); } });
  await waitFor('a batch in hand', async () => (inHand ? true : undefined));
  await waitFor('the flowing group caught up', async () => (seen.size === 5 ? true : undefined));

  const page = await lagOnPage(registry);
  assert.equal(page.get(`${topic}/stuck`), 5);
  assert.equal(page.get(`${topic}/flowing`), 0);

  await publisher.publish(topic, payload(3));
  await waitFor('the flowing group caught up again', async () => (seen.size === 8 ? true : undefined));
  assert.equal((await lagOnPage(registry)).get(`${topic}/stuck`), 8);

  // A group nobody here consumes any more leaves the page; the others stay.
  release();
  await stuck.close();
  const after = await lagOnPage(registry);
  assert.equal(after.has(`${topic}/stuck`), false);
  assert.equal(after.get(`${topic}/flowing`), 0);
  await flowing.close();
  assert.deepEqual(await lagOnPage(registry), new Map());
});

test('a bus closed on a registry stops reporting; a new one on the same registry reports again', async (t) => {
  const url = await testRedisUrl();
  const keyPrefix = `${uniqueName('lagmetric')}:`;
  const registry = new Registry();
  const topic = 'telemetry.v1';
  const first = instrumentBus(new RedisBus({ url, keyPrefix, blockMs: 100, log: silent }), registry);
  t.after(() => first.close());
  await first.publish(topic, payload(4));
  await first.subscribe({ topic, group: 'g1', handler: async () => {} });
  await waitFor('g1 caught up', async () => ((await lagOnPage(registry)).get(`${topic}/g1`) === 0 ? true : undefined));
  await first.close();
  assert.equal((await lagOnPage(registry)).has(`${topic}/g1`), false);

  const second = instrumentBus(new RedisBus({ url, keyPrefix, blockMs: 100, log: silent }), registry);
  t.after(() => second.close());
  await second.publish(topic, payload(2));
  await second.subscribe({ topic, group: 'g2', handler: async () => {} });
  await waitFor('g2 caught up', async () => ((await lagOnPage(registry)).get(`${topic}/g2`) === 0 ? true : undefined));
  assert.equal((await lagOnPage(registry)).has(`${topic}/g1`), false);
});

/** What Redis itself says of a group: its own `lag` field, pending count and position. */
async function redisGroupInfo(redis: Redis, key: string, group: string): Promise<Record<string, unknown>> {
  const groups = (await redis.xinfo('GROUPS', key)) as unknown[][];
  const flat = groups.find((g) => g[g.indexOf('name') + 1] === group) ?? [];
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

// Issue 18 item 5: `repute status` and the gauge kept a lag of thousands while nothing was
// pending and the group had been given the stream's last entry. Redis's own `lag` is entries
// added less the group's reads as Redis counted them: entries trimmed before the group read
// them are never counted as read, and that lag stays above 0 for good.
test('redis: the lag is what the group has left, after a trim of entries it had not read and a claim; 0 once drained', async (t) => {
  const url = await testRedisUrl();
  const keyPrefix = `${uniqueName('lagtruth')}:`;
  const registry = new Registry();
  const raw = new RedisBus({ url, keyPrefix, blockMs: 100, claimMinIdleMs: 300, trimIntervalMs: 3_600_000, log: silent });
  const bus = instrumentBus(raw, registry);
  const redis = new Redis(url);
  const subscriptions: Subscription[] = [];
  t.after(async () => {
    await Promise.allSettled(subscriptions.map((s) => s.abort()));
    await bus.close();
    await deleteKeysWithPrefix(redis, keyPrefix);
    redis.disconnect();
  });
  const topic = 'telemetry.v1';
  const key = raw.streamKey(topic);
  await bus.publish(topic, payload(50));

  // The group reads and acknowledges 5 (as a consumer of the bus does), then a trim from outside
  // the bus (an operator's XTRIM, a writer's MAXLEN) keeps the newest 20: 25 entries the group
  // never read go with the 5 it had.
  await redis.xgroup('CREATE', key, 'g', '0');
  const early = (await redis.xreadgroup('GROUP', 'g', 'early', 'COUNT', 5, 'STREAMS', key, '>')) as [string, [string, string[]][]][];
  await redis.xack(key, 'g', ...early[0]![1].map(([id]) => id));
  await redis.xtrim(key, 'MAXLEN', 20);
  assert.equal(await bus.lag(topic, 'g'), 20, 'the 20 entries left');

  // A consumer takes a batch and hangs with it; another claims it once idle and drains the rest.
  const seen = new Set<string>();
  let hung!: () => void;
  const hangs = new Promise<void>((resolve) => { hung = resolve; });
  const zombie = await bus.subscribe({ topic, group: 'g', consumer: 'zombie', batchSize: 5, handler: async () => { hung(); await new Promise(() => {}); } });
  subscriptions.push(zombie);
  await hangs;
  assert.equal(await bus.lag(topic, 'g'), 20, '5 pending with the zombie and 15 not delivered');
  subscriptions.push(await bus.subscribe({ topic, group: 'g', consumer: 'live', batchSize: 5, handler: async (batch) => { for (const m of batch) seen.add(m.id); } }));
  await waitFor('every entry handled and acknowledged', async () => (seen.size === 20 && Number((await redisGroupInfo(redis, key, 'g'))['pending']) === 0 ? true : undefined), 15_000);
  await zombie.abort();

  const info = await redisGroupInfo(redis, key, 'g');
  const [last] = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
  assert.equal(info['last-delivered-id'], last?.[0], 'the group was given the last entry');
  assert.ok(Number(info['lag']) > 0, `Redis's own lag is stale here (${String(info['lag'])}), or this test no longer shows the fault`);
  assert.equal(await bus.lag(topic, 'g'), 0);
  assert.equal((await lagOnPage(registry)).get(`${topic}/g`), 0, 'the gauge says 0 too');

  // And it keeps counting truly from there: 7 more, back to 0 once consumed.
  await bus.publish(topic, payload(7));
  await waitFor('the new entries consumed', async () => (seen.size === 27 && (await bus.lag(topic, 'g')) === 0 ? true : undefined), 15_000);
});

test('redis: lag is exact while either side of the group\'s position holds fewer entries than the counting cap; past it on both, Redis\'s counter', async (t) => {
  const url = await testRedisUrl();
  const keyPrefix = `${uniqueName('lagcap')}:`;
  const bus = new RedisBus({ url, keyPrefix, trimIntervalMs: 3_600_000, log: silent });
  const redis = new Redis(url);
  t.after(async () => { await bus.close(); await deleteKeysWithPrefix(redis, keyPrefix); redis.disconnect(); });
  const topic = 'telemetry.v1';
  const key = bus.streamKey(topic);
  const total = 2 * LAG_COUNT_CAP + 500;
  await bus.publish(topic, payload(total));
  assert.equal(await bus.lag(topic, 'nobody'), total, 'a group that does not exist lags by the whole stream');
  assert.equal(await bus.lag('never-written', 'g'), 0, 'a stream that does not exist has nothing left');
  await redis.xgroup('CREATE', key, 'g', '0');
  assert.equal(await bus.lag(topic, 'g'), total, 'nothing before the position: counted from the other side');

  // Past the cap on both sides: Redis's counter (right here, nothing was trimmed) is used.
  const read = async (count: number): Promise<string[]> => {
    const res = (await redis.xreadgroup('GROUP', 'g', 'c', 'COUNT', count, 'STREAMS', key, '>')) as [string, [string, string[]][]][];
    return res[0]![1].map(([id]) => id);
  };
  const firstIds = await read(LAG_COUNT_CAP + 100);
  assert.equal(await bus.lag(topic, 'g'), total, 'delivered but pending still counts');
  await redis.xack(key, 'g', ...firstIds);
  assert.equal(await bus.lag(topic, 'g'), total - firstIds.length);
  await read(1);
  assert.equal(await bus.lag(topic, 'g'), total - firstIds.length, 'one moved from undelivered to pending');

  // A group whose counter a trim left short, with nothing before its position: counted exactly.
  await redis.xgroup('CREATE', key, 'late', '0');
  await redis.xtrim(key, 'MINID', firstIds[LAG_COUNT_CAP - 1]!);
  const length = await redis.xlen(key);
  assert.ok(length > LAG_COUNT_CAP);
  assert.equal(await bus.lag(topic, 'late'), length, 'the group had read nothing: everything left');
});

test('kafka: records deleted below a group\'s committed offset are not lag; a topic never written has none', async (t) => {
  const brokers = await testKafkaBrokers();
  const bus = new KafkaBus({ brokers, clientId: uniqueName('lagtruth'), partitions: 2, sessionTimeoutMs: 6_000, log: silent });
  const admin = new kafkajs.Kafka({ brokers, clientId: uniqueName('lagtruth-admin'), logLevel: kafkajs.logLevel.NOTHING }).admin();
  t.after(async () => { await bus.close(); await admin.disconnect(); });
  await admin.connect();
  const topic = uniqueName('lag-truth');

  await bus.publish(topic, payload(20));
  const seen = new Set<string>();
  const first = await bus.subscribe({ topic, group: 'g', handler: async (batch) => { for (const m of batch) seen.add(m.id); } });
  await waitFor('the first 20 consumed and committed', async () => (seen.size === 20 && (await bus.lag(topic, 'g')) === 0 ? true : undefined), 30_000);
  await first.close();

  // The group is away while 30 more arrive and retention (here deleteRecords) removes them all.
  await bus.publish(topic, payload(30));
  assert.equal(await bus.lag(topic, 'g'), 30);
  // kafkajs looks the leaders up before it loads the topic's metadata: load it first.
  await admin.fetchTopicOffsets(topic);
  await admin.deleteTopicRecords({ topic, partitions: [0, 1].map((partition) => ({ partition, offset: '-1' })) });
  assert.equal(await bus.lag(topic, 'g'), 0, 'nothing is left to read');

  // Back, the group finds nothing (its offset is out of range and reset to the start); its
  // commit stays behind the deleted records, and the lag still says 0. New records count again.
  const again = await bus.subscribe({ topic, group: 'g', handler: async (batch) => { for (const m of batch) seen.add(m.id); } });
  t.after(() => again.close());
  assert.equal(await bus.lag(topic, 'g'), 0);
  await bus.publish(topic, payload(3));
  await waitFor('the late ones consumed', async () => (seen.size === 23 && (await bus.lag(topic, 'g')) === 0 ? true : undefined), 30_000);
  assert.equal(await bus.lag(uniqueName('never-written'), 'g'), 0);
});
