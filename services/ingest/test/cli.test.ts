import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { waitFor } from '@repute/infra';
import { RedisBus, type BusMessage } from '@repute/bus';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { decodeEnvelope, encodeEnvelope, TELEMETRY_DLQ_TOPIC, TELEMETRY_TOPIC, validateAndCanonicalize, type TelemetryEvent } from '@repute/telemetry';
import { event } from './helpers.ts';

after(() => closeTestServices());

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const silent = { info() {}, warn() {}, error() {}, debug() {} };

test('dlq list shows each dead letter with its reason; dlq replay sends them back to the source topic once', async (t) => {
  const url = await testRedisUrl();
  const prefix = `${uniqueName('cli')}:`;
  const bus = new RedisBus({ url, keyPrefix: prefix, blockMs: 100, log: silent });
  t.after(() => bus.close());
  const envelopes = [0, 1, 2].map((i) => {
    const r = validateAndCanonicalize(event(i), i);
    assert.ok(r.ok);
    return encodeEnvelope('tenant-a', Date.now(), (r as { event: TelemetryEvent }).event);
  });
  await bus.publish(TELEMETRY_TOPIC, envelopes.map((value) => ({ key: 'k', value })));

  // A consumer that cannot handle anything parks every batch on the DLQ.
  const poisoned = await bus.subscribe({ topic: TELEMETRY_TOPIC, group: 'correlator', maxAttempts: 1, handler: async () => { throw new Error('scoring backend down'); } });
  await waitFor('dead-lettered', async () => ((await bus.read(TELEMETRY_DLQ_TOPIC)).length === 3 ? true : undefined));
  await poisoned.close();

  const env = { ...process.env, BUS_KIND: 'redis', REDIS_URL: url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent' };
  const node = process.execPath;
  const listed = await run(node, ['--conditions=source', cli, 'dlq', 'list'], { env });
  const lines = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { eventId: string; tenant: string; reason: string; sourceGroup: string });
  assert.deepEqual(lines.map((l) => l.eventId), ['evt-0', 'evt-1', 'evt-2']);
  assert.ok(lines.every((l) => l.tenant === 'tenant-a' && l.sourceGroup === 'correlator' && l.reason.includes('scoring backend down')));

  const seen: BusMessage[] = [];
  const healthy = await bus.subscribe({ topic: TELEMETRY_TOPIC, group: 'correlator-fixed', handler: async (b) => { seen.push(...b); } });
  t.after(() => healthy.close());
  await waitFor('original three', async () => (seen.length === 3 ? true : undefined));

  const replayed = await run(node, ['--conditions=source', cli, 'dlq', 'replay'], { env });
  assert.match(replayed.stdout, /replayed 3/);
  await waitFor('replayed three', async () => (seen.length === 6 ? true : undefined));
  const again = seen.slice(3);
  assert.deepEqual(again.map((m) => decodeEnvelope(m.value).event.id).sort(), ['evt-0', 'evt-1', 'evt-2']);
  assert.ok(again.every((m) => m.headers['x-dlq-reason'] === undefined), 'replayed messages carry no dead-letter headers');

  const second = await run(node, ['--conditions=source', cli, 'dlq', 'replay'], { env });
  assert.match(second.stdout, /replayed 0/, 'a second replay sends nothing twice');
});
