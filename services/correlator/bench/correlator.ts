import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import { createKeyStore } from '@repute/auth';
import { migrate } from '@repute/analytics';
import { dropDatabase, removeTestClickHouseData, testClickHouse, testClickHouseConfig } from '@repute/analytics/testkit';
import { createBus, type Bus } from '@repute/bus';
import { loadConfig } from '@repute/config';
import { edgeApp, loadEdgeConfig } from '@repute/edge';
import { startKafka } from '@repute/infra';
import { closeTestServices, deleteKeysWithPrefix, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { encodeEnvelope, type TelemetryEvent } from '@repute/telemetry';
import { correlatorConfig } from '../src/config.ts';
import { observe, telemetryRows } from '../src/events/observations.ts';
import { startWorker } from '../src/worker.ts';

// The whole correlator on each bus: events published to the bus, consumed by the real worker
// (Redis state, records, ClickHouse inserts, propagation loop), verdicts read back through an
// edge app in the same process. Figures: events/s from the first publish to the last event
// acknowledged; freshness from a deciding event's publish to the edge's HTTP answer turning
// malicious, with other telemetry arriving at half the measured rate; propagation from a
// file's deciding event to the edge answering `suspicious` for the URL it was downloaded from.
// Short by design: the box is shared.
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 120_000);
const DECIDING = Number(process.env['BENCH_DECIDING'] ?? 200);
const WAVES = 10;
/** Freshness is measured with other telemetry arriving at this share of the measured rate. */
const LOAD_SHARE = 0.5;
const LOAD_TICK_MS = 20;
const PER_WAVE = 20;
// The worker's own defaults (batch size, batches in flight) unless these say otherwise.
const tuning = Object.fromEntries(['CORRELATOR_BATCH_SIZE', 'CORRELATOR_BATCHES_IN_FLIGHT', 'CORRELATOR_EVENTS_IN_FLIGHT', 'CORRELATOR_INSERT_INTERVAL_MS'].flatMap((k) => (process.env[k] !== undefined ? [[k, process.env[k]!]] : [])));
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const redisUrl = await testRedisUrl();
const redis = new Redis(redisUrl);
const clickhouse = testClickHouse();
const chdb = testClickHouseConfig();
const hex = (n: number) => n.toString(16).padStart(64, '0');
const until = async (probe: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 1) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('bench timed out waiting');
    await new Promise((r) => setTimeout(r, everyMs));
  }
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN) * 100) / 100;
};

let seq = 0;
// Deciding events pass `relations: undefined`, so they relate only what they name.
function event(i: number, over: Partial<TelemetryEvent> = {}): TelemetryEvent {
  return { v: 1, id: `e${++seq}`, sensor: `s${i % 97}`, host: `h${i % 1013}`, time: Date.now(), type: 'file_seen', file: { sha256: hex(i % 5000) }, ...(i % 4 === 0 ? { relations: { downloadedFrom: `http://host${i % 300}.example/f${i % 5000}` } } : {}), ...over };
}
const envelope = (tenant: string, e: TelemetryEvent) => ({ key: e.file?.sha256 ?? e.id, value: encodeEnvelope(tenant, Date.now(), e) });

interface Figures { eventsPerS: number; nodeCpuUsPerEvent: number; redisCpuUsPerEvent: number; freshnessP50: number; freshnessP99: number; loadRate: number; propagation: number[] }
// The Redis server's CPU so far, µs (its own account, so the figure holds on a shared box).
const redisCpuUs = async () => {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
};

let workerSettings = { batchSize: 0, batchesInFlight: 0, eventsInFlight: 0, insertIntervalMs: 0 };
async function runOn(kind: 'redis' | 'kafka', brokers: string): Promise<Figures> {
  const prefix = `${uniqueName('bench')}:`;
  const database = uniqueName('bench');
  const topic = uniqueName('telemetry');
  const env = {
    BUS_KIND: kind, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, TELEMETRY_TOPIC: topic, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PARTITIONS: '6',
    CLICKHOUSE_DATABASE: database, ...(chdb.CLICKHOUSE_DATA_DIR !== undefined ? { CLICKHOUSE_DATA_DIR: chdb.CLICKHOUSE_DATA_DIR } : { CLICKHOUSE_URL: chdb.CLICKHOUSE_URL ?? '' }),
    CORRELATOR_GROUP: 'bench', ...tuning, LOG_LEVEL: 'silent',
  };
  const config = loadConfig(correlatorConfig, { env });
  workerSettings = { batchSize: config.CORRELATOR_BATCH_SIZE, batchesInFlight: config.CORRELATOR_BATCHES_IN_FLIGHT, eventsInFlight: config.CORRELATOR_EVENTS_IN_FLIGHT, insertIntervalMs: config.CORRELATOR_INSERT_INTERVAL_MS };
  const registry = new Registry();
  const worker = await startWorker(config, silent, registry);
  const producer: Bus = createBus(config);
  const processed = async () => {
    const metric = await registry.getSingleMetric('repute_correlator_events_total')?.get();
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  };
  const edge = Fastify({ logger: false });
  await edge.register(edgeApp, { config: loadEdgeConfig({ env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', EDGE_FILTER_REBUILD_INTERVAL_S: '0', EDGE_FILTER_CAPACITY: '100000' } }) });
  await edge.ready();
  const key = (await createKeyStore(redis, { prefix }).create({ tenant: 'bench', scopes: ['lookup'] })).key;
  const served = async (path: string) => (await edge.inject({ url: path, headers: { authorization: `Bearer ${key}` } })).json<{ verdict: string }>().verdict;
  // When the edge never turns, say whether the correlator wrote the record at all.
  const explain = async (path: string, recordKey: string) => {
    const answer = (await edge.inject({ url: path, headers: { authorization: `Bearer ${key}` } })).body;
    const stored = await redis.get(`${prefix}${recordKey}`);
    return `edge answered ${answer.slice(0, 300)}; record in Redis: ${stored === null ? 'none' : stored.slice(0, 120)}`;
  };

  try {
    // The group is joined and warm before the clock starts.
    await producer.publish(topic, [envelope('t1', event(0))]);
    await until(async () => (await processed()) >= 1, 60_000, 20);
    let expected = 1;

    const messages = Array.from({ length: EVENTS }, (_, i) => envelope('t1', event(i)));
    const r0 = await redisCpuUs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < messages.length; i += 10_000) await producer.publish(topic, messages.slice(i, i + 10_000));
    expected += EVENTS;
    await until(async () => (await processed()) >= expected, 120_000, 5);
    const eventsPerS = Math.round(EVENTS / ((performance.now() - t0) / 1000));
    const cpu = process.cpuUsage(c0);
    const nodeCpuUsPerEvent = Math.round(((cpu.user + cpu.system) / EVENTS) * 10) / 10;
    const redisCpuUsPerEvent = Math.round((((await redisCpuUs()) - r0) / EVENTS) * 10) / 10;
    console.error(`${kind}: ${EVENTS} events in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

    // Freshness: files with one engine detection get a sandbox verdict, one at a time.
    const sha = (d: number) => hex(1_000_000 + d);
    await producer.publish(topic, Array.from({ length: DECIDING }, (_, d) => envelope('t1', event(d, { sensor: 'x1', type: 'detection', file: { sha256: sha(d) }, relations: undefined, verdict: { engine: 'av1', category: 'malicious' } }))));
    expected += DECIDING;
    await until(async () => (await processed()) >= expected, 60_000, 5);
    // Measured under sustained load: other telemetry keeps arriving at half the rate just
    // measured, every 20 ms, while each deciding event is timed.
    const targetRate = Math.round(eventsPerS * LOAD_SHARE);
    const loadStart = performance.now();
    let loading = true;
    let filled = 0;
    const filler = (async () => {
      const perTick = Math.max(1, Math.round((targetRate * LOAD_TICK_MS) / 1000));
      let next = performance.now();
      while (loading) {
        await producer.publish(topic, Array.from({ length: perTick }, () => envelope('t1', event(EVENTS + filled++))));
        next += LOAD_TICK_MS;
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      }
    })();
    const freshness: number[] = [];
    try {
      for (let d = 0; d < DECIDING; d++) {
        const t = performance.now();
        await producer.publish(topic, [envelope('t2', event(d, { sensor: 'x2', type: 'sandbox_report', file: { sha256: sha(d) }, relations: undefined, verdict: { engine: 'sb', category: 'malicious' } }))]);
        const path = `/v1/reputation/file/${sha(d)}`;
        await until(async () => (await served(path)) === 'malicious').catch(async (err: unknown) => {
          throw new Error(`freshness: ${await explain(path, `rep:file:${sha(d)}`)}`, { cause: err });
        });
        freshness.push(performance.now() - t);
      }
    } finally {
      loading = false;
      await filler;
    }
    // The rate reached, which the producer may keep under its target on a busy box.
    const loadRate = Math.round(filled / ((performance.now() - loadStart) / 1000));
    expected += filled;

    // Propagation: waves of convictions; each URL is timed until the edge serves it raised.
    const propagation: number[] = [];
    for (let w = 0; w < WAVES; w++) {
      const files = Array.from({ length: PER_WAVE }, (_, i) => ({ sha: hex(2_000_000 + w * PER_WAVE + i), url: `http://wave${w}-${i}.example/${i}.exe` }));
      await producer.publish(topic, files.map((f, i) => envelope('t1', event(i, { sensor: 'y1', type: 'detection', file: { sha256: f.sha }, relations: { downloadedFrom: f.url }, verdict: { engine: 'av1', category: 'malicious' } }))));
      const t = performance.now();
      await producer.publish(topic, files.map((f, i) => envelope('t2', event(i, { sensor: 'y2', type: 'sandbox_report', file: { sha256: f.sha }, relations: undefined, verdict: { engine: 'sb', category: 'malicious' } }))));
      const pending = new Set(files.map((f) => f.url));
      await until(async () => {
        for (const url of pending) {
          if ((await served(`/v1/reputation/url?url=${encodeURIComponent(url)}`)) === 'suspicious') {
            propagation.push(performance.now() - t);
            pending.delete(url);
          }
        }
        return pending.size === 0;
      }, 30_000, 5);
    }
    return { eventsPerS, nodeCpuUsPerEvent, redisCpuUsPerEvent, freshnessP50: pct(freshness, 0.5), freshnessP99: pct(freshness, 0.99), loadRate, propagation };
  } finally {
    await worker.close();
    await producer.close();
    await edge.close();
    await deleteKeysWithPrefix(redis, prefix);
    await dropDatabase(clickhouse, database);
  }
}

// BENCH_BUSES=redis (or kafka) measures one bus alone, for a quicker look; the written
// figures of the other bus are then null.
const buses = (process.env['BENCH_BUSES'] ?? 'redis,kafka').split(',');
const none: Figures = { eventsPerS: NaN, nodeCpuUsPerEvent: NaN, redisCpuUsPerEvent: NaN, freshnessP50: NaN, freshnessP99: NaN, loadRate: NaN, propagation: [] };
const onRedis = buses.includes('redis') ? await runOn('redis', '') : none;
let onKafka = none;
if (buses.includes('kafka')) {
  const kafka = await startKafka();
  try {
    onKafka = await runOn('kafka', kafka.brokers.join(','));
  } finally {
    await kafka.close();
  }
}

// Baseline: the same rows straight into ClickHouse, 10k-row inserts.
const baselineDb = uniqueName('bench');
await migrate(clickhouse, { database: baselineDb, retentionDays: 7 });
const rows = Array.from({ length: 30_000 }, (_, i) => telemetryRows(observe(JSON.parse(envelope('t1', event(i)).value)))).flat();
const tb = performance.now();
for (let i = 0; i < rows.length; i += 10_000) await clickhouse.insert({ table: `${baselineDb}.telemetry_raw`, values: rows.slice(i, i + 10_000), format: 'JSONEachRow' });
const rawRate = rows.length / ((performance.now() - tb) / 1000);
await dropDatabase(clickhouse, baselineDb);

const propagation = [...onRedis.propagation, ...onKafka.propagation];
const out = {
  bench: 'correlator',
  at: new Date().toISOString(),
  events: EVENTS,
  machine: { cpus: cpus().length, node: process.version },
  figures: {
    events_per_s_redis: onRedis.eventsPerS,
    node_cpu_us_per_event_redis: onRedis.nodeCpuUsPerEvent,
    redis_cpu_us_per_event_redis: onRedis.redisCpuUsPerEvent,
    freshness_p50_ms_redis: onRedis.freshnessP50,
    freshness_p99_ms_redis: onRedis.freshnessP99,
    freshness_load_events_per_s_redis: onRedis.loadRate,
    events_per_s_kafka: onKafka.eventsPerS,
    node_cpu_us_per_event_kafka: onKafka.nodeCpuUsPerEvent,
    redis_cpu_us_per_event_kafka: onKafka.redisCpuUsPerEvent,
    freshness_p50_ms_kafka: onKafka.freshnessP50,
    freshness_p99_ms_kafka: onKafka.freshnessP99,
    freshness_load_events_per_s_kafka: onKafka.loadRate,
    propagation_p50_ms: pct(propagation, 0.5),
    propagation_p99_ms: pct(propagation, 0.99),
  },
  baseline: { raw_insert_rows_per_s: Math.round(rawRate), rows: rows.length },
  worker: workerSettings,
  notes: `Real worker (startWorker, batches of up to ${workerSettings.batchSize}, ${workerSettings.batchesInFlight} and ${workerSettings.eventsInFlight} events in flight, inserts at most every ${workerSettings.insertIntervalMs} ms) on each bus, embedded ClickHouse (chDB), Redis and the edge app in one process tree. events/s: ${EVENTS} events from the first publish to the last acknowledged; CPU per event over the same span: this process (worker, producer, edge, embedded ClickHouse) and the Redis server (state and, on Redis Streams, the bus). `
    + `Freshness: ${DECIDING} deciding events, one at a time, while other telemetry arrives at ${LOAD_SHARE * 100} % of the rate just measured (freshness_load_events_per_s_*), from publish to the edge's HTTP answer (GET /v1/reputation/file, app.inject, polled every 1 ms) being malicious. `
    + `Propagation: ${WAVES} waves of ${PER_WAVE} files per bus (${propagation.length} samples, ${WAVES * 2} propagation rounds at the policy's 1 s interval), from the deciding event's publish to the edge answering suspicious for the file's download URL.`,
};
console.table({ ...out.figures, ...out.baseline });
mkdirSync(new URL('../../../bench-results/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../../bench-results/correlator.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
redis.disconnect();
await clickhouse.close();
removeTestClickHouseData();
await closeTestServices();
