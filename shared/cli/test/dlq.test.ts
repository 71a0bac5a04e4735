import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { RedisBus, type BusMessage, type DeadLetter, type DeadLetterDetail } from '@repute/bus';
import { waitFor } from '@repute/infra';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { createRedis } from '@repute/store';
import { loadCliConfig } from '../src/cli-config.ts';
import { dlqDrop, dlqReplay, dlqShow } from '../src/commands/dlq.ts';
import type { CommandContext } from '../src/context.ts';
import { dropPrefix, repute } from './helpers.ts';

after(() => closeTestServices());

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const TOPIC = 'telemetry.v1';
const DLQ = `${TOPIC}.dlq`;
const idOf = (m: BusMessage): string => (JSON.parse(m.value.toString()) as { id: string }).id;

/** Three dead letters on the telemetry topic's DLQ, rejected by a consumer as the correlator rejects. */
async function deployment(t: TestContext) {
  const redisUrl = await testRedisUrl();
  const prefix = `${uniqueName('dlq')}:`;
  const bus = new RedisBus({ url: redisUrl, keyPrefix: prefix, blockMs: 100, log: silent });
  const redis = createRedis({ REDIS_URL: redisUrl }, { offlineQueue: true });
  t.after(async () => {
    await bus.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });
  await bus.publish(TOPIC, ['e-0', 'e-1', 'e-2'].map((id) => ({ key: id, value: JSON.stringify({ id, event: { id } }), headers: { 'x-trace': id } })));
  const sub = await bus.subscribe({ topic: TOPIC, group: 'correlator', handler: async (batch) => batch.map((message) => ({ message, reason: `invalid_field /time: ${idOf(message)}` })) });
  await waitFor('three dead letters', async () => ((await bus.read(DLQ)).length === 3 && (await bus.lag(TOPIC, 'correlator')) === 0 ? true : undefined), 10_000, 25);
  await sub.close();
  const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, BUS_KIND: 'redis' };
  const ctx: CommandContext = { config: loadCliConfig(env), json: true, progress: false, strict: false };
  const positions = new Map((await bus.read(DLQ)).map((m) => [idOf(m), m.id]));
  return { bus, env, ctx, positions };
}

/** Runs a command function, returning what it printed. */
async function printed(fn: () => Promise<number>): Promise<unknown> {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string) => { out += chunk; return true; }) as typeof process.stdout.write;
  try {
    assert.equal(await fn(), 0);
  } finally {
    process.stdout.write = write;
  }
  return JSON.parse(out);
}

const listed = async (env: Record<string, string>): Promise<string[]> => {
  const run = await repute(['--json', 'dlq', 'list'], env);
  assert.equal(run.code, 0, run.stderr);
  return (JSON.parse(run.stdout) as DeadLetter[]).map((l) => l.eventId ?? '').sort();
};

test('dlq show prints one dead letter whole; an unknown id is an error', async (t) => {
  const { ctx, positions } = await deployment(t);
  const shown = await printed(() => dlqShow(ctx, positions.get('e-1')!, {})) as DeadLetterDetail;
  assert.equal(shown.position, positions.get('e-1'));
  assert.equal(shown.eventId, 'e-1');
  assert.equal(shown.reason, 'invalid_field /time: e-1');
  assert.equal(shown.sourceTopic, TOPIC);
  assert.equal(shown.sourceGroup, 'correlator');
  assert.deepEqual(shown.headers, { 'x-trace': 'e-1' }, 'the source headers, the dead-letter ones apart');
  assert.equal(shown.value, JSON.stringify({ id: 'e-1', event: { id: 'e-1' } }));
  assert.equal(shown.settled, null);
  await assert.rejects(dlqShow(ctx, '1-0', {}), /no dead letter 1-0 on telemetry\.v1\.dlq/);
});

test('dlq drop takes one dead letter out of the list and out of replays', async (t) => {
  const { ctx, env, positions } = await deployment(t);
  const at = positions.get('e-0')!;
  assert.deepEqual(await printed(() => dlqDrop(ctx, at, {})), { topic: DLQ, id: at, dropped: true });
  assert.deepEqual(await listed(env), ['e-1', 'e-2']);
  assert.equal((await printed(() => dlqShow(ctx, at, {})) as DeadLetterDetail).settled?.action, 'dropped');
  const again = await printed(() => dlqDrop(ctx, at, {})) as { dropped: boolean };
  assert.equal(again.dropped, false, 'dropping twice changes nothing');
  await assert.rejects(dlqDrop(ctx, '1-0', {}), /no dead letter 1-0/);
});

test('dlq replay --id sends one dead letter back; replaying all then skips it and the dropped one', async (t) => {
  const { bus, ctx, env, positions } = await deployment(t);
  await printed(() => dlqDrop(ctx, positions.get('e-0')!, {}));
  const one = await printed(() => dlqReplay(ctx, { id: positions.get('e-1')!, timeoutMs: '10000' }));
  assert.deepEqual(one, { topic: DLQ, id: positions.get('e-1'), replayed: 1, to: TOPIC });
  const back = (await bus.read(TOPIC)).slice(3);
  assert.deepEqual(back.map((m) => [idOf(m), m.headers]), [['e-1', { 'x-trace': 'e-1' }]], 'back on its topic with its own headers only');
  assert.deepEqual(await listed(env), ['e-2']);

  const all = await repute(['--json', 'dlq', 'replay', '--timeout-ms', '20000'], env);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(JSON.parse(all.stdout), { topic: DLQ, replayed: 1 });
  assert.deepEqual((await bus.read(TOPIC)).slice(3).map(idOf), ['e-1', 'e-2'], 'neither the dropped nor the replayed one went back again');
  await assert.rejects(dlqReplay(ctx, { id: '1-0', timeoutMs: '1000' }), /no dead letter 1-0/);
});
