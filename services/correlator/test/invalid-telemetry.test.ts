import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import kafkajs from 'kafkajs';
import { Redis } from 'ioredis';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { DLQ_HEADERS, type RedisBus, type BusMessage } from '@repute/bus';
import { closeTestServices, testKafkaBrokers, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { encodeEnvelope, type TelemetryEvent } from '@repute/telemetry';
import { ref, startPipeline, until, type BusKind, type Pipeline } from './e2e-harness.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const run = hex(4);
let seq = 0;

/** An event as ingest would publish it: canonical, `time` epoch ms. */
function event(over: Record<string, unknown>): Record<string, unknown> {
  return { v: 1, id: `${run}-${++seq}`, sensor: 's1', host: 'h1', time: Date.now(), type: 'file_seen', ...over };
}

/** A message written straight onto the telemetry topic, past ingest's validation. */
function straight(e: Record<string, unknown>, key: string): { key: string; value: string } {
  return { key, value: encodeEnvelope('t1', Date.now(), e as unknown as TelemetryEvent) };
}

const deadLetters = async (p: Pipeline): Promise<BusMessage[]> => await p.bus.read(`${p.topic}.dlq`, { limit: 1_000 }).catch(() => []);

for (const kind of ['redis', 'kafka'] as BusKind[]) {
  test(`[${kind}] events with a field of the wrong type, written straight onto the bus, are dead-lettered one by one; their batch neighbours are counted`, async (t) => {
    const p = await startPipeline(t, kind);
    const shared = hex(32);
    const other = hex(32);
    // State first, so that a bad value meets a stored one in the script.
    await p.post([event({ sensor: 's0', file: { sha256: shared } })]);
    await p.drained();
    assert.equal(await p.applied(ref('file', shared)), 1);

    // One publish under one key: one partition (Kafka), in this order, the bad ones first.
    const bad = [
      event({ sensor: 'bad-time', time: new Date().toISOString(), file: { sha256: shared } }),
      event({ sensor: 42, file: { sha256: shared } }),
      event({ sensor: 'bad-verdict', type: 'detection', file: { sha256: shared }, verdict: { engine: 'av', category: 'evil' } }),
      event({ sensor: 'bad-port', type: 'net_conn', file: { sha256: shared }, ip: '192.0.2.7', port: '443' }),
    ];
    const good = [
      event({ sensor: 's1', file: { sha256: shared } }),
      event({ sensor: 's2', type: 'detection', file: { sha256: shared }, verdict: { engine: 'av-one', category: 'malicious' } }),
      event({ sensor: 's3', file: { sha256: other } }),
      event({ sensor: 's4', file: { sha256: other } }),
      // Of the right type, only not canonical: taken as ingest would have written it.
      event({ sensor: 's5', file: { sha256: other.toUpperCase() } }),
    ];
    await p.bus.publish(p.topic, [
      ...bad.map((e) => straight(e, shared)),
      { key: shared, value: '{"v":1,"tenant":"t1","receivedAt":' },
      ...good.map((e) => straight(e, shared)),
    ]);
    await p.drained();
    const dead = await (async () => {
      await until('the invalid messages dead-lettered', async () => (await deadLetters(p)).length >= 5);
      return await deadLetters(p);
    })();

    assert.equal(await p.applied(ref('file', shared)), 3, 'the valid neighbours of the shared file were counted');
    assert.equal(await p.applied(ref('file', other)), 3, 'the valid events after the bad ones were counted');
    const { decoded } = await p.worker.correlator.inspect(ref('file', shared));
    assert.deepEqual(decoded.state.words.map((w) => w.engine), ['av-one']);
    const reasons = dead.map((m) => m.headers[DLQ_HEADERS.reason] ?? '').sort();
    assert.equal(dead.length, 5, `only the invalid messages are dead-lettered: ${JSON.stringify(reasons)}`);
    for (const pattern of [/at \/time: a string where ingest writes a number/, /invalid_field at \/sensor/, /invalid_field at \/verdict\/category/, /invalid_field at \/port/, /not JSON/]) {
      assert.ok(reasons.some((r) => pattern.test(r)), `a reason matches ${pattern}: ${JSON.stringify(reasons)}`);
    }
    for (const m of dead) {
      assert.equal(m.headers[DLQ_HEADERS.sourceTopic], p.topic);
      assert.equal(m.headers[DLQ_HEADERS.attempts], '1', 'rejected on the first attempt, not after the batch kept failing');
    }
    const rows = await p.query<{ n: string }>(`SELECT uniqExact(event_id) AS n FROM ${p.database}.telemetry_raw`);
    assert.equal(Number(rows[0]?.n), 6, 'the first event and the five valid neighbours, nothing invalid, are stored');
  });

  test(`[${kind}] a record that the bus cannot decode, written past the bus, is dead-lettered and holds nothing back`, async (t) => {
    const p = await startPipeline(t, kind);
    const file = hex(32);
    await p.post([event({ sensor: 's1', file: { sha256: file } })]);
    await writeUndecodable(p, file);
    await p.post([event({ sensor: 's2', file: { sha256: file } }), event({ sensor: 's3', file: { sha256: file } })]);
    await p.drained();
    assert.equal(await p.applied(ref('file', file)), 3, 'the events after it were applied');
    await until('the record dead-lettered', async () => (await deadLetters(p)).length >= 1);
    const [dead] = await deadLetters(p);
    assert.match(dead?.headers[DLQ_HEADERS.reason] ?? '', kind === 'redis' ? /h \(headers\) field is not JSON/ : /header "x-trace" has no value/);
    assert.equal(dead?.headers[DLQ_HEADERS.attempts], '0');
    assert.ok(dead?.headers[DLQ_HEADERS.raw] !== undefined, 'the raw fields are kept');
    if (kind === 'redis') {
      const redis = new Redis(await testRedisUrl());
      t.after(() => redis.disconnect());
      const pending = (await redis.xpending((p.bus as RedisBus).streamKey(p.topic), p.group)) as [number];
      assert.equal(pending[0], 0, 'nothing left pending');
    }
  });
}

/** Writes, past the bus, one record of `file` the bus cannot decode. */
async function writeUndecodable(p: Pipeline, file: string): Promise<void> {
  const value = encodeEnvelope('t1', Date.now(), event({ sensor: 'by-hand', file: { sha256: file } }) as unknown as TelemetryEvent);
  if (p.kind === 'redis') {
    const redis = new Redis(await testRedisUrl());
    try {
      await redis.xadd((p.bus as RedisBus).streamKey(p.topic), '*', 'k', file, 'v', value, 'h', '{"x-trace":');
    } finally {
      redis.disconnect();
    }
    return;
  }
  const producer = new kafkajs.Kafka({ brokers: await testKafkaBrokers(), clientId: uniqueName('foreign'), logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  // kafkajs sizes a header with Buffer.byteLength before it checks for null, so it cannot send
  // the null header value the protocol allows; while this send runs, byteLength counts null as empty.
  const byteLength = Buffer.byteLength;
  Buffer.byteLength = ((s: Parameters<typeof byteLength>[0], e?: BufferEncoding) => (s === null ? 0 : byteLength(s, e))) as typeof byteLength;
  try {
    await producer.send({ topic: p.topic, acks: -1, messages: [{ key: file, value, headers: { 'x-trace': null as unknown as string } }] });
  } finally {
    Buffer.byteLength = byteLength;
    await producer.disconnect();
  }
}
