import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, waitFor } from '@repute/infra';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { BusError, RedisBus, type BusMessage } from '../src/index.ts';
import { runLossScenario } from './loss.ts';

after(() => closeTestServices());

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const idOf = (m: BusMessage): string => (JSON.parse(m.value.toString()) as { id: string }).id;
const payload = (n: number) => Array.from({ length: n }, (_, i) => ({ key: 'k', value: JSON.stringify({ id: `m-${i}` }) }));

test('trimming keeps every entry some group has not acknowledged', async (t) => {
  const url = await testRedisUrl();
  const prefix = `${uniqueName('trim')}:`;
  const bus = new RedisBus({ url, keyPrefix: prefix, maxLength: 50, trimIntervalMs: 3_600_000, blockMs: 100, log: silent });
  const redis = new Redis(url);
  let abortSub = async (): Promise<void> => {};
  t.after(async () => { await abortSub(); await bus.close(); redis.disconnect(); });
  const topic = 'telemetry.v1';
  const key = bus.streamKey(topic);
  await bus.publish(topic, payload(200));

  // A group that has not read anything yet pins the whole stream.
  await redis.xgroup('CREATE', key, 'idle', '0');
  assert.equal(await bus.trim(topic), 0);
  await redis.xgroup('DESTROY', key, 'idle');

  let calls = 0;
  let stuckFirstId = '';
  const sub = await bus.subscribe({
    topic,
    group: 'worker',
    batchSize: 100,
    handler: async (batch) => {
      if (++calls === 2) {
        stuckFirstId = batch[0]!.id;
        await new Promise(() => {});
      }
    },
  });
  abortSub = () => sub.abort();
  await waitFor('second batch in hand', async () => (stuckFirstId !== '' ? true : undefined));
  assert.equal(await bus.trim(topic), 100, 'only the acknowledged first batch goes');
  const [oldest] = (await redis.xrange(key, '-', '+', 'COUNT', 1)) as [string, string[]][];
  assert.equal(oldest?.[0], stuckFirstId, 'the oldest pending entry survives');
  assert.equal(await redis.xlen(key), 100, 'above the bound, because the rest is unacknowledged');
});

test('a trim after everything is acknowledged goes down to the bound, not below', async (t) => {
  const url = await testRedisUrl();
  const bus = new RedisBus({ url, keyPrefix: `${uniqueName('trim')}:`, maxLength: 30, trimIntervalMs: 3_600_000, blockMs: 100, log: silent });
  t.after(() => bus.close());
  const topic = 'telemetry.v1';
  await bus.publish(topic, payload(100));
  const seen = new Set<string>();
  const sub = await bus.subscribe({ topic, group: 'g', handler: async (b) => { for (const m of b) seen.add(idOf(m)); } });
  t.after(() => sub.close());
  await waitFor('consumed', async () => ((await bus.lag(topic, 'g')) === 0 && seen.size === 100 ? true : undefined));
  assert.equal(await bus.trim(topic), 70);
  const left = await bus.read(topic);
  assert.equal(left.length, 30);
  assert.equal(idOf(left[0]!), 'm-70');
});

test('messages a silent consumer left pending are claimed by a live one after the idle time', async (t) => {
  const url = await testRedisUrl();
  const bus = new RedisBus({ url, keyPrefix: `${uniqueName('claim')}:`, claimMinIdleMs: 400, blockMs: 100, log: silent });
  t.after(() => bus.close());
  const topic = 'telemetry.v1';
  const got = new Set<string>();
  let hung!: () => void;
  const hangs = new Promise<void>((r) => (hung = r));
  const zombie = await bus.subscribe({ topic, group: 'g', consumer: 'zombie', batchSize: 10, handler: async () => { hung(); await new Promise(() => {}); } });
  await bus.publish(topic, payload(10));
  await hangs;
  const live = await bus.subscribe({ topic, group: 'g', consumer: 'live', handler: async (b) => { for (const m of b) got.add(idOf(m)); } });
  t.after(() => live.close());
  const started = Date.now();
  await waitFor('claimed', async () => (got.size === 10 ? true : undefined), 10_000);
  await zombie.abort();
  assert.ok(Date.now() - started >= 250, 'not claimed before the idle time');
  await waitFor('acknowledged', async () => ((await bus.lag(topic, 'g')) === 0 ? true : undefined));
});

test('while redis is down a publish fails fast with a retriable BusError; after a restart all works again', async (t) => {
  const server = await startRedis({ appendOnly: true });
  const bus = new RedisBus({ url: server.url, keyPrefix: 'p:', publishTimeoutMs: 1_000, log: silent });
  t.after(async () => { await bus.close(); await server.close(); });
  await bus.publish('telemetry.v1', payload(3));
  assert.equal(await bus.ready(), true);
  await server.stop();
  const started = Date.now();
  await assert.rejects(bus.publish('telemetry.v1', payload(3)), (err: unknown) => err instanceof BusError && err.code === 'REPUTE_BUS_UNAVAILABLE' && err.retriable);
  assert.ok(Date.now() - started < 2_000, 'fails fast');
  assert.equal(await bus.ready(), false);
  await server.start();
  await waitFor('bus ready again', async () => ((await bus.ready()) ? true : undefined), 10_000);
  await bus.publish('telemetry.v1', payload(3));
  assert.equal((await bus.read('telemetry.v1')).length, 6, 'what was acknowledged before the restart survived it (AOF)');
});

test('loss: consumer killed mid-batch and redis restarted while publishing; every accepted message is consumed', async (t) => {
  const server = await startRedis({ appendOnly: true, extraArgs: ['--appendfsync', 'always'] });
  const bus = new RedisBus({ url: server.url, keyPrefix: 'loss:', claimMinIdleMs: 500, blockMs: 100, publishTimeoutMs: 1_000, log: silent });
  t.after(async () => { await bus.close(); await server.close(); });
  await runLossScenario(t, bus, {
    total: 3_000,
    timeoutMs: 30_000,
    disrupt: async (progress) => {
      await server.stop();
      progress.down();
      await waitFor('a publish failing during the outage', async () => (progress.publishFailures() > 0 ? true : undefined), 10_000);
      await server.start();
    },
  });
});

test('an entry written by hand that cannot be decoded stays pending for nobody: the entries after it are acknowledged once and the stream trims past it', async (t) => {
  const url = await testRedisUrl();
  const bus = new RedisBus({ url, keyPrefix: `${uniqueName('poison')}:`, maxLength: 10, trimIntervalMs: 3_600_000, claimMinIdleMs: 300, blockMs: 100, log: silent });
  const redis = new Redis(url);
  t.after(async () => { await bus.close(); redis.disconnect(); });
  const topic = 'telemetry.v1';
  const key = bus.streamKey(topic);
  await bus.publish(topic, payload(20));
  await redis.xadd(key, '*', 'k', 'k', 'v', '{"id":"by-hand"}', 'h', '{"x-trace":');
  await bus.publish(topic, payload(20).map((m, i) => ({ ...m, value: JSON.stringify({ id: `late-${i}` }) })));
  const seen = new Map<string, number>();
  const sub = await bus.subscribe({ topic, group: 'g', batchSize: 7, handler: async (b) => { for (const m of b) seen.set(idOf(m), (seen.get(idOf(m)) ?? 0) + 1); } });
  t.after(() => sub.close());
  await waitFor('everything acknowledged', async () => ((await bus.lag(topic, 'g')) === 0 && seen.size === 40 ? true : undefined));
  assert.equal(((await redis.xpending(key, 'g')) as [number])[0], 0, 'nothing left pending');
  // Two claim rounds later nothing came again.
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.ok([...seen.values()].every((n) => n === 1), 'no entry delivered twice');
  assert.equal(await bus.trim(topic), 31, 'trimmed down to the bound, past the bad entry');
  const [dead] = await bus.read(`${topic}.dlq`);
  assert.match(dead?.headers['x-dlq-reason'] ?? '', /h \(headers\) field is not JSON/);
  assert.deepEqual(JSON.parse(dead?.headers['x-dlq-raw'] ?? '{}'), { k: 'k', h: '{"x-trace":' });
  assert.equal(dead?.value.toString(), '{"id":"by-hand"}');
});
