import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createKeyStore } from '@repute/auth';
import { recordKey } from '@repute/core';
import { migrate } from '@repute/analytics';
import { dropDatabase, removeTestClickHouseData, testClickHouse, testClickHouseConfig } from '@repute/analytics/testkit';
import { createBus, type Bus } from '@repute/bus';
import { loadConfig } from '@repute/config';
import { startKafka } from '@repute/infra';
import { closeTestServices, deleteKeysWithPrefix, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { encodeEnvelope, type TelemetryEvent } from '@repute/telemetry';
import { correlatorConfig } from '../src/config.ts';
import { observe, telemetryRows } from '../src/events/observations.ts';
import { counterTotal, startService, type ServiceProcess } from './service-process.ts';

// The whole correlator on each bus, deployed as it runs: the correlator service and the edge
// service each in a process of their own (`src/server.ts` of each), this process publishing
// like ingest and reading verdicts over the edge's HTTP API like an agent. Figures: events/s
// from the first publish to the last event acknowledged (the correlator's own event counter,
// read from its /metrics); freshness from a deciding event's publish to the edge's HTTP
// answer turning malicious, with other telemetry arriving at half the measured rate;
// propagation from a file's deciding event to the edge answering `suspicious` for the URL it
// was downloaded from. CPU is read per process (/proc), for Redis from its INFO, and for the
// whole box (/proc/stat), so the figures say where the time goes on a shared box.
// The rate is a sustained one: warm-up events first (compiled code, the engine's first parts,
// the script loaded), untimed, then enough events that the last insert's tail is a small part
// of the span.
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 20_000);
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 200_000);
const DECIDING = Number(process.env['BENCH_DECIDING'] ?? 200);
const WAVES = 10;
/** Freshness is measured with other telemetry arriving at this share of the measured rate. */
const LOAD_SHARE = 0.5;
const LOAD_TICK_MS = 20;
const PER_WAVE = 20;
// The worker's own defaults (batch size, batches in flight) unless these say otherwise.
const tuning = Object.fromEntries(['CORRELATOR_BATCH_SIZE', 'CORRELATOR_BATCHES_IN_FLIGHT', 'CORRELATOR_EVENTS_IN_FLIGHT', 'CORRELATOR_INSERT_INTERVAL_MS', 'KAFKA_COMPRESSION'].flatMap((k) => (process.env[k] !== undefined ? [[k, process.env[k]!]] : [])));
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

interface Figures {
  eventsPerS: number;
  /** CPU µs per event of each part, over the throughput run. */
  cpu: { correlator: number; redis: number; producer: number; box: number };
  /** The share of the box's two cores busy over the throughput run. */
  boxBusy: number;
  freshnessP50: number;
  freshnessP99: number;
  loadRate: number;
  propagation: number[];
}
// The Redis server's CPU so far, µs (its own account, so the figure holds on a shared box).
const redisCpuUs = async () => {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
};
// The box's CPU time, busy and all, µs over every core (/proc/stat counts ticks of 10 ms).
const boxCpuUs = () => {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  const all = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (all - idle) * 10_000, all: all * 10_000 };
};
const ownCpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

let workerSettings = { batchSize: 0, batchesInFlight: 0, eventsInFlight: 0, insertIntervalMs: 0, kafkaCompression: '' };
async function runOn(kind: 'redis' | 'kafka', brokers: string): Promise<Figures> {
  const prefix = `${uniqueName('bench')}:`;
  const database = uniqueName('bench');
  const topic = uniqueName('telemetry');
  // The correlator's embedded ClickHouse is its own: one process owns a chDB folder.
  const dataDir = chdb.CLICKHOUSE_DATA_DIR !== undefined ? mkdtempSync(join(tmpdir(), 'repute-bench-chdb-')) : undefined;
  const env: Record<string, string> = {
    BUS_KIND: kind, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, TELEMETRY_TOPIC: topic, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PARTITIONS: '6',
    CLICKHOUSE_DATABASE: database, ...(dataDir !== undefined ? { CLICKHOUSE_DATA_DIR: dataDir } : { CLICKHOUSE_URL: chdb.CLICKHOUSE_URL ?? '' }),
    CORRELATOR_GROUP: 'bench', ...tuning, LOG_LEVEL: 'warn',
  };
  const config = loadConfig(correlatorConfig, { env });
  workerSettings = { batchSize: config.CORRELATOR_BATCH_SIZE, batchesInFlight: config.CORRELATOR_BATCHES_IN_FLIGHT, eventsInFlight: config.CORRELATOR_EVENTS_IN_FLIGHT, insertIntervalMs: config.CORRELATOR_INSERT_INTERVAL_MS, kafkaCompression: config.KAFKA_COMPRESSION };
  const services: ServiceProcess[] = [];
  const producer: Bus = createBus(config);
  try {
    const correlator = await startService('correlator', new URL('../src/server.ts', import.meta.url), env);
    services.push(correlator);
    const edge = await startService('edge', new URL('../../edge/src/server.ts', import.meta.url), { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn', EDGE_FILTER_REBUILD_INTERVAL_S: '0', EDGE_FILTER_CAPACITY: '100000' });
    services.push(edge);
    const processed = () => counterTotal(correlator.url, 'repute_correlator_events_total');
    const key = (await createKeyStore(redis, { prefix }).create({ tenant: 'bench', scopes: ['lookup'], rateLimitPerMinute: 100_000_000 })).key;
    const lookup = async (path: string) => await fetch(`${edge.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const served = async (path: string) => ((await (await lookup(path)).json()) as { verdict: string }).verdict;
    // When the edge never turns, say whether the correlator wrote the record at all.
    const explain = async (path: string, recordKey: string) => {
      const answer = await (await lookup(path)).text();
      const stored = await redis.get(`${prefix}${recordKey}`);
      return `edge answered ${answer.slice(0, 300)}; record in Redis: ${stored === null ? 'none' : stored.slice(0, 120)}`;
    };

    // The group is joined and warm before the clock starts.
    const warmup = Array.from({ length: Math.max(1, WARMUP) }, (_, i) => envelope('t1', event(i)));
    for (let i = 0; i < warmup.length; i += 10_000) await producer.publish(topic, warmup.slice(i, i + 10_000));
    let expected = warmup.length;
    await until(async () => (await processed()) >= expected, 120_000, 20);

    const messages = Array.from({ length: EVENTS }, (_, i) => envelope('t1', event(i)));
    const cpu0 = { correlator: correlator.cpuUs(), redis: await redisCpuUs(), producer: ownCpuUs(), box: boxCpuUs() };
    const t0 = performance.now();
    for (let i = 0; i < messages.length; i += 10_000) await producer.publish(topic, messages.slice(i, i + 10_000));
    const published = (performance.now() - t0) / 1000;
    expected += EVENTS;
    // Read every 50 ms: a scrape costs the correlator some CPU, and the run lasts seconds.
    await until(async () => (await processed()) >= expected, 120_000, 50);
    const seconds = (performance.now() - t0) / 1000;
    const eventsPerS = Math.round(EVENTS / seconds);
    const box = boxCpuUs();
    const perEvent = (us: number) => Math.round((us / EVENTS) * 10) / 10;
    const cpu = {
      correlator: perEvent(correlator.cpuUs() - cpu0.correlator),
      redis: perEvent((await redisCpuUs()) - cpu0.redis),
      producer: perEvent(ownCpuUs() - cpu0.producer),
      box: perEvent(box.busy - cpu0.box.busy),
    };
    const boxBusy = Math.round(((box.busy - cpu0.box.busy) / (box.all - cpu0.box.all)) * 100) / 100;
    console.error(`${kind}: ${EVENTS} events in ${seconds.toFixed(2)} s (published in ${published.toFixed(2)} s)`);

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
          throw new Error(`freshness: ${await explain(path, recordKey('file', sha(d)))}`, { cause: err });
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
    return { eventsPerS, cpu, boxBusy, freshnessP50: pct(freshness, 0.5), freshnessP99: pct(freshness, 0.99), loadRate, propagation };
  } finally {
    for (const s of services.reverse()) await s.stop();
    await producer.close();
    await deleteKeysWithPrefix(redis, prefix);
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    else await dropDatabase(clickhouse, database);
  }
}

// BENCH_BUSES=redis (or kafka) measures one bus alone, for a quicker look; the written
// figures of the other bus are then null. The buses run in the order given.
const buses = (process.env['BENCH_BUSES'] ?? 'redis,kafka').split(',');
const none: Figures = { eventsPerS: NaN, cpu: { correlator: NaN, redis: NaN, producer: NaN, box: NaN }, boxBusy: NaN, freshnessP50: NaN, freshnessP99: NaN, loadRate: NaN, propagation: [] };
let onRedis = none;
let onKafka = none;
for (const bus of buses) {
  if (bus === 'redis') onRedis = await runOn('redis', '');
  if (bus === 'kafka') {
    const kafka = await startKafka();
    try {
      onKafka = await runOn('kafka', kafka.brokers.join(','));
    } finally {
      await kafka.close();
    }
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
    correlator_cpu_us_per_event_redis: onRedis.cpu.correlator,
    redis_cpu_us_per_event_redis: onRedis.cpu.redis,
    producer_cpu_us_per_event_redis: onRedis.cpu.producer,
    box_cpu_us_per_event_redis: onRedis.cpu.box,
    box_busy_redis: onRedis.boxBusy,
    freshness_p50_ms_redis: onRedis.freshnessP50,
    freshness_p99_ms_redis: onRedis.freshnessP99,
    freshness_load_events_per_s_redis: onRedis.loadRate,
    events_per_s_kafka: onKafka.eventsPerS,
    correlator_cpu_us_per_event_kafka: onKafka.cpu.correlator,
    redis_cpu_us_per_event_kafka: onKafka.cpu.redis,
    producer_cpu_us_per_event_kafka: onKafka.cpu.producer,
    box_cpu_us_per_event_kafka: onKafka.cpu.box,
    box_busy_kafka: onKafka.boxBusy,
    freshness_p50_ms_kafka: onKafka.freshnessP50,
    freshness_p99_ms_kafka: onKafka.freshnessP99,
    freshness_load_events_per_s_kafka: onKafka.loadRate,
    propagation_p50_ms: pct(propagation, 0.5),
    propagation_p99_ms: pct(propagation, 0.99),
  },
  baseline: { raw_insert_rows_per_s: Math.round(rawRate), rows: rows.length },
  worker: workerSettings,
  notes: `The correlator service (src/server.ts, batches of up to ${workerSettings.batchSize}, ${workerSettings.batchesInFlight} batches and ${workerSettings.eventsInFlight} events in flight, inserts at most every ${workerSettings.insertIntervalMs} ms, Kafka producer compression ${workerSettings.kafkaCompression}) and the edge service each in a process of their own, this process publishing; Redis, the Kafka broker and the correlator's embedded ClickHouse (chDB) on the same box. events/s: ${EVENTS} events from the first publish to the last acknowledged (repute_correlator_events_total, read every 50 ms), after ${WARMUP} untimed warm-up events. CPU µs per event over the same span: the correlator process (every thread, embedded ClickHouse included), the Redis server (state and, on Redis Streams, the bus), this process (the producer) and the whole box (box_busy_*: the share of its cores busy). `
    + `Freshness: ${DECIDING} deciding events, one at a time, while other telemetry arrives at ${LOAD_SHARE * 100} % of the rate just measured (freshness_load_events_per_s_*), from publish to the edge's HTTP answer (GET /v1/reputation/file over HTTP, polled every 1 ms) being malicious. `
    + `Propagation: ${WAVES} waves of ${PER_WAVE} files per bus (${propagation.length} samples, ${WAVES * 2} propagation rounds at the policy's 1 s interval), from the deciding event's publish to the edge answering suspicious for the file's download URL.`,
};
console.table({ ...out.figures, ...out.baseline });
mkdirSync(new URL('../../../bench-results/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../../bench-results/correlator.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
redis.disconnect();
await clickhouse.close();
removeTestClickHouseData();
await closeTestServices();
