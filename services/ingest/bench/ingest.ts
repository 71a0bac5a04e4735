import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { createKeyStore } from '@repute/auth';
import { KafkaBus, RedisBus, type Bus, type KafkaCompression } from '@repute/bus';
import { startKafka, startRedis } from '@repute/infra';
import { encodeEnvelope, primaryIndicator, TELEMETRY_TOPIC, validateAndCanonicalize, type TelemetryEvent } from '@repute/telemetry';
import app from '../src/app.ts';
import { loadIngestConfig } from '../src/config.ts';

// Events/s accepted over HTTP (batches of 100 and 1000) into each bus, consumer events/s, and
// a raw producer loop on the same bus as the baseline. Short phases: the whole run stays
// well under two minutes on a 2-core machine.
const PHASE_MS = Number(process.env['BENCH_PHASE_MS'] ?? 4_000);
const HTTP_CONCURRENCY = Number(process.env['BENCH_HTTP_CONCURRENCY'] ?? 4);
const RAW_CONCURRENCY = 4;
// Threads that read request bodies (INGEST_SORT_THREADS); 0 reads them on the event loop.
const SORT_THREADS = process.env['BENCH_SORT_THREADS'] ?? '1';
// The deployment default (zstd), so the figures describe what an operator gets.
const KAFKA_COMPRESSION = (process.env['BENCH_KAFKA_COMPRESSION'] ?? 'zstd') as KafkaCompression;
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, '..', '..', '..', 'bench-results', 'ingest.json');

function sha(n: number): string {
  return (BigInt(n) * 0x9e3779b97f4a7c15n).toString(16).padStart(64, '0').slice(-64);
}

/** A mix like a fleet of agents sends: mostly files (a third with a source URL), some URLs, DNS, connections. */
function rawEvent(i: number): Record<string, unknown> {
  const base = { id: `bench-${i}`, sensor: `sensor-${i % 500}`, host: `host-${i % 5000}`, time: Date.now() - (i % 60_000) };
  switch (i % 10) {
    case 0: case 1: case 2: case 3:
      return { ...base, type: 'file_seen', file: { sha256: sha(i), name: `setup-${i % 97}.exe`, size: 1000 + (i % 100_000) } };
    case 4: case 5:
      return { ...base, type: 'file_seen', file: { sha256: sha(i), md5: sha(i).slice(0, 32) }, relations: { downloadedFrom: `http://cdn${i % 50}.example.com/dl/${i % 1000}/file.exe?x=${i}` } };
    case 6: case 7:
      return { ...base, type: 'url_visit', url: `https://www.site${i % 5000}.example/path/${i % 300}/index.html` };
    case 8:
      return { ...base, type: 'dns_resolve', domain: `host${i % 10_000}.example.net`, relations: { resolvedIps: [`198.51.${i % 256}.${(i >> 8) % 256}`] } };
    default:
      return { ...base, type: 'net_conn', ip: `203.0.${i % 256}.${(i >> 8) % 256}`, port: 443, verdict: { engine: 'local', category: 'suspicious', name: 'Heur.Beacon' } };
  }
}

function bodies(batch: number, count: number): string[] {
  return Array.from({ length: count }, (_, b) => JSON.stringify(Array.from({ length: batch }, (_, i) => rawEvent(b * batch + i))));
}

interface Rate {
  eventsPerS: number;
  /** CPU of this process (every thread but the load generator's) per event, in µs; brokers not included. */
  cpuUsPerEvent: number;
}

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return used.user + used.system;
};

async function rawProducer(bus: Bus, topic: string): Promise<Rate> {
  const messages = Array.from({ length: 1000 }, (_, i) => {
    const r = validateAndCanonicalize(rawEvent(i), i);
    const event = (r as { event: TelemetryEvent }).event;
    return { key: primaryIndicator(event).digest, value: encodeEnvelope('bench', Date.now(), event) };
  });
  let sent = 0;
  const deadline = Date.now() + PHASE_MS;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: RAW_CONCURRENCY }, async () => {
    while (Date.now() < deadline) {
      await bus.publish(topic, messages);
      sent += messages.length;
    }
  }));
  return { eventsPerS: sent / ((performance.now() - started) / 1000), cpuUsPerEvent: cpuSince(cpu) / sent };
}

interface HttpRate extends Rate {
  p50: number;
  p99: number;
  failed: number;
}

async function httpLoad(url: string, key: string, batch: number): Promise<HttpRate> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await new Promise<{ accepted: number; failed: number; cpuUs: number; p50: number; p99: number }>((resolve, reject) => {
    const worker = new Worker(join(here, 'load-worker.ts'), {
      workerData: { url, key, bodies: bodies(batch, 20), eventsPerBody: batch, concurrency: HTTP_CONCURRENCY, durationMs: PHASE_MS },
      execArgv: ['--conditions=source'],
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const serverCpu = cpuSince(cpu) - result.cpuUs;
  return { eventsPerS: result.accepted / ((performance.now() - started) / 1000), cpuUsPerEvent: serverCpu / Math.max(1, result.accepted), p50: result.p50, p99: result.p99, failed: result.failed };
}

async function consume(bus: Bus, topic: string, expected: number): Promise<number> {
  let seen = 0;
  const started = performance.now();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const sub = await bus.subscribe({
    topic,
    group: `bench-${Date.now()}`,
    batchSize: 1000,
    handler: async (batch) => {
      // Decoding is part of what any consumer pays.
      for (const m of batch) JSON.parse(m.value.toString('utf8'));
      seen += batch.length;
      if (seen >= expected) done();
    },
  });
  const timeout = setTimeout(done, 30_000);
  await finished;
  clearTimeout(timeout);
  const rate = seen / ((performance.now() - started) / 1000);
  await sub.close();
  return rate;
}

interface BusRun {
  raw: Rate;
  http100: HttpRate;
  http1000: HttpRate;
  consumer: number;
}

async function runOn(kind: 'redis' | 'kafka', bus: Bus, redisUrl: string): Promise<BusRun> {
  const prefix = `bench-${kind}-${Date.now()}:`;
  const config = loadIngestConfig({ env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, BUS_KIND: kind, LOG_LEVEL: 'silent', INGEST_MAX_EVENTS: '1000', INGEST_SORT_THREADS: SORT_THREADS, TELEMETRY_TOPIC: `${TELEMETRY_TOPIC}.bench${Date.now()}` } });
  const topic = config.TELEMETRY_TOPIC;
  const redis = new Redis(redisUrl);
  const keys = createKeyStore(redis, { prefix });
  const { key } = await keys.create({ tenant: 'bench', scopes: ['ingest'], rateLimitPerMinute: 10_000_000 });
  const fastify = Fastify({ logger: false });
  await fastify.register(app, { config, keys, bus });
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 });
  try {
    const rawTopic = `${topic}.raw`;
    await rawProducer(bus, rawTopic).catch(() => undefined); // warm-up: topic creation, connections, JIT
    const raw = await rawProducer(bus, rawTopic);
    await httpLoad(`${address}/v1/telemetry`, key, 100); // warm-up
    const http100 = await httpLoad(`${address}/v1/telemetry`, key, 100);
    const http1000 = await httpLoad(`${address}/v1/telemetry`, key, 1000);
    const published = await bus.lag(topic, 'nobody-yet');
    const consumer = await consume(bus, topic, published);
    return { raw, http100, http1000, consumer };
  } finally {
    await fastify.close();
    if (kind === 'redis') await redis.del(`${topic}`, `${topic}.raw`);
    redis.disconnect();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const t0 = Date.now();
const redisServer = await startRedis({ appendOnly: false });
const results: Partial<Record<'redis' | 'kafka', BusRun>> = {};
try {
  const redisBus = new RedisBus({ url: redisServer.url, log: silent });
  results.redis = await runOn('redis', redisBus, redisServer.url);
  await redisBus.close();
  const brokers = process.env['BENCH_KAFKA_BROKERS'];
  const kafka = brokers === undefined ? await startKafka() : undefined;
  try {
    const kafkaBus = new KafkaBus({ brokers: brokers?.split(',') ?? kafka!.brokers, partitions: 6, compression: KAFKA_COMPRESSION, log: silent });
    results.kafka = await runOn('kafka', kafkaBus, redisServer.url);
    await kafkaBus.close();
  } finally {
    await kafka?.close();
  }
} finally {
  await redisServer.close();
}

const rows: string[][] = [['bus', 'raw producer ev/s', 'raw µs CPU/ev', 'HTTP x100 ev/s', 'HTTP x1000 ev/s', 'x1000 µs CPU/ev', 'x1000 p50/p99 ms', 'HTTP/raw', 'consumer ev/s']];
for (const kind of ['redis', 'kafka'] as const) {
  const r = results[kind];
  if (r === undefined) continue;
  rows.push([kind, fmt(r.raw.eventsPerS), r.raw.cpuUsPerEvent.toFixed(1), fmt(r.http100.eventsPerS), fmt(r.http1000.eventsPerS), r.http1000.cpuUsPerEvent.toFixed(1), `${r.http1000.p50.toFixed(1)}/${r.http1000.p99.toFixed(1)}`, (r.http1000.eventsPerS / r.raw.eventsPerS).toFixed(2), fmt(r.consumer)]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c]!)).join('  '));

const redisRun = results.redis!;
const kafkaRun = results.kafka!;
const report = {
  benchmark: 'ingest',
  date: new Date().toISOString(),
  node: process.version,
  settings: { phaseMs: PHASE_MS, httpConcurrency: HTTP_CONCURRENCY, sortThreads: Number(SORT_THREADS), rawConcurrency: RAW_CONCURRENCY, rawBatch: 1000, kafkaCompression: KAFKA_COMPRESSION, kafkaAcks: 'all', kafkaIdempotent: true },
  figures: {
    http_events_per_s_kafka: Math.round(kafkaRun.http1000.eventsPerS),
    http_events_per_s_redis: Math.round(redisRun.http1000.eventsPerS),
    http_events_per_s_kafka_batch100: Math.round(kafkaRun.http100.eventsPerS),
    http_events_per_s_redis_batch100: Math.round(redisRun.http100.eventsPerS),
    http_p99_ms_kafka_batch1000: Number(kafkaRun.http1000.p99.toFixed(2)),
    http_p99_ms_redis_batch1000: Number(redisRun.http1000.p99.toFixed(2)),
    consumer_events_per_s_kafka: Math.round(kafkaRun.consumer),
    consumer_events_per_s_redis: Math.round(redisRun.consumer),
    http_cpu_us_per_event_kafka_batch1000: Number(kafkaRun.http1000.cpuUsPerEvent.toFixed(2)),
    http_cpu_us_per_event_redis_batch1000: Number(redisRun.http1000.cpuUsPerEvent.toFixed(2)),
    http_failed_requests: redisRun.http100.failed + redisRun.http1000.failed + kafkaRun.http100.failed + kafkaRun.http1000.failed,
  },
  baseline: {
    raw_events_per_s_kafka: Math.round(kafkaRun.raw.eventsPerS),
    raw_events_per_s_redis: Math.round(redisRun.raw.eventsPerS),
    raw_cpu_us_per_event_kafka: Number(kafkaRun.raw.cpuUsPerEvent.toFixed(2)),
    raw_cpu_us_per_event_redis: Number(redisRun.raw.cpuUsPerEvent.toFixed(2)),
  },
  ratios: {
    http_vs_raw_kafka: Number((kafkaRun.http1000.eventsPerS / kafkaRun.raw.eventsPerS).toFixed(3)),
    http_vs_raw_redis: Number((redisRun.http1000.eventsPerS / redisRun.raw.eventsPerS).toFixed(3)),
  },
  goals: { http_events_per_s_batch1000: 50_000, http_vs_raw: 0.5 },
  durationS: Math.round((Date.now() - t0) / 1000),
};
mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${resultsFile} (${report.durationS} s)`);
