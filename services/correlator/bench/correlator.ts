import { mkdirSync, writeFileSync } from 'node:fs';
import { migrate } from '@repute/analytics';
import { dropDatabase, removeTestClickHouseData, testClickHouse } from '@repute/analytics/testkit';
import { createBus } from '@repute/bus';
import { digestOf, recordKey } from '@repute/core';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { createRedis, createReputationStore } from '@repute/store';
import { encodeEnvelope, type TelemetryEvent } from '@repute/telemetry';
import { createCorrelator } from '../src/correlator.ts';
import { loadPolicy } from '../src/policy/load-policy.ts';
import { propagateOnce } from '../src/propagation/propagate.ts';
import { telemetryRows, observe } from '../src/events/observations.ts';

// Events/s from the Redis Streams bus through the correlator into ClickHouse and Redis, freshness
// of deciding events (accepted -> record readable), one propagation round, and the raw insert rate
// of the same rows into ClickHouse as the baseline. Short by design: the box is shared.
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 30_000);
const DECIDING = 200;
const redisUrl = await testRedisUrl();
const redis = createRedis({ REDIS_URL: redisUrl }, { offlineQueue: true, commandTimeoutMs: 10_000 });
const clickhouse = testClickHouse();
const database = uniqueName('bench');
const prefix = `${uniqueName('bench')}:`;
const topic = `${uniqueName('telemetry')}`;
await migrate(clickhouse, { database, retentionDays: 7 });
const policy = loadPolicy();
const store = createReputationStore(redis, { prefix });
const pending = new Map<string, number>();
const freshness: number[] = [];
const correlator = createCorrelator({
  redis, store, clickhouse, database, policy: () => policy, prefix,
  onVerdict: (c) => {
    const at = pending.get(c.ref.key);
    if (at !== undefined && c.record.verdict === 'malicious') {
      freshness.push(performance.now() - at);
      pending.delete(c.ref.key);
    }
  },
});
const bus = createBus({ BUS_KIND: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix });

let seq = 0;
const hex = (n: number) => n.toString(16).padStart(64, '0');
function event(i: number, over: Partial<TelemetryEvent> = {}): TelemetryEvent {
  return { v: 1, id: `e${++seq}`, sensor: `s${i % 97}`, host: `h${i % 1013}`, time: Date.now(), type: 'file_seen', file: { sha256: hex(i % 5000) }, ...(i % 4 === 0 ? { relations: { downloadedFrom: `http://host${i % 300}.example/f${i % 5000}` } } : {}), ...over };
}

let processed = 0;
const sub = await bus.subscribe({ topic, group: 'bench', batchSize: 2000, handler: async (batch) => {
  try {
    await correlator.handle(batch);
  } catch (err) {
    console.error(err);
    throw err;
  }
  processed += batch.length;
} });

// Throughput: publish everything, then wait until all are processed.
const messages = Array.from({ length: EVENTS }, (_, i) => ({ key: 'k', value: encodeEnvelope('t1', Date.now(), event(i)) }));
const t0 = performance.now();
for (let i = 0; i < messages.length; i += 5000) await bus.publish(topic, messages.slice(i, i + 5000));
while (processed < EVENTS) await new Promise((r) => setTimeout(r, 1));
const throughputS = (performance.now() - t0) / 1000;
console.error(`throughput phase: ${EVENTS} events in ${throughputS.toFixed(2)} s`);

// Freshness: one deciding event at a time on a file that already has one engine detection.
for (let d = 0; d < DECIDING; d++) {
  const sha = hex(1_000_000 + d);
  await bus.publish(topic, [0].map((k) => ({ key: 'k', value: encodeEnvelope(`t${k}`, Date.now(), event(d, { sensor: `x${k}`, type: 'detection', file: { sha256: sha }, verdict: { engine: `av${k}`, category: 'malicious' } })) })));
}
while (processed < EVENTS + DECIDING) await new Promise((r) => setTimeout(r, 1));
for (let d = 0; d < DECIDING; d++) {
  const sha = hex(1_000_000 + d);
  const key = recordKey('file', digestOf('file', sha));
  pending.set(key, performance.now());
  await bus.publish(topic, [{ key: 'k', value: encodeEnvelope('t2', Date.now(), event(d, { sensor: 'x2', type: 'sandbox_report', file: { sha256: sha }, verdict: { engine: 'sb', category: 'malicious' } })) }]);
  while (pending.has(key)) await new Promise((r) => setTimeout(r, 1));
}
await sub.close();

const tp = performance.now();
await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix }, DECIDING);
const propagationMs = performance.now() - tp;

// Baseline: the same rows straight into ClickHouse.
const rows = messages.flatMap((m) => telemetryRows(observe(JSON.parse(m.value))));
const tb = performance.now();
for (let i = 0; i < rows.length; i += 10_000) await clickhouse.insert({ table: `${database}.telemetry_raw`, values: rows.slice(i, i + 10_000), format: 'JSONEachRow' });
const rawRate = rows.length / ((performance.now() - tb) / 1000);

freshness.sort((a, b) => a - b);
const pct = (p: number) => Math.round((freshness[Math.min(freshness.length - 1, Math.floor(p * freshness.length))] ?? NaN) * 100) / 100;
const out = {
  bench: 'correlator',
  at: new Date().toISOString(),
  events: EVENTS,
  figures: {
    events_per_s_redis: Math.round(EVENTS / throughputS),
    freshness_p50_ms_redis: pct(0.5),
    freshness_p99_ms_redis: pct(0.99),
    propagation_p99_ms: Math.round(propagationMs * 100) / 100,
  },
  baseline: { raw_insert_rows_per_s: Math.round(rawRate), rows: rows.length },
  notes: 'Redis Streams bus, embedded ClickHouse (chDB), one process; freshness = deciding event accepted -> record written and readable (store.write resolved); propagation_p99_ms = one round over all convicted files (single sample).',
};
console.table({ ...out.figures, ...out.baseline });
mkdirSync(new URL('../../../bench-results/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../../bench-results/correlator.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
await bus.close();
const keys = await redis.keys(`${prefix}*`);
for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
redis.disconnect();
await dropDatabase(clickhouse, database);
await clickhouse.close();
removeTestClickHouseData();
await closeTestServices();
