import { isUtf8 } from 'node:buffer';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, zstdCompressSync } from 'node:zlib';
import {
  compatibilityPartitioner, compressionsAlgorithms, Consumer, type Message as PlatformaticMessage, Producer,
} from '@platformatic/kafka';
import { startKafka, type KafkaBroker } from '@repute/infra';
import kafkajs from 'kafkajs';
import type { Consumer as KafkaJsConsumer, Producer as KafkaJsProducer } from 'kafkajs';
import { compressionType, type KafkaCompression } from '../src/kafka-compression.ts';
import { decodeRecord } from '../src/kafka-record.ts';
import { keyPartitioner } from '../src/key-partitioner.ts';
import type { BusMessage } from '../src/types.ts';

// kafkajs (configured as KafkaBus configures it) against @platformatic/kafka on the same broker,
// the same telemetry-shaped records, acks=all, idempotence and compression: produce messages/s
// and consumer-group messages/s with CPU per message, each client run RUNS times, alternating,
// so that the ratio compares figures taken under the same load.
const PHASE_MS = Number(process.env['BENCH_PHASE_MS'] ?? 3_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const COMPRESSION = (process.env['BENCH_KAFKA_COMPRESSION'] ?? 'zstd') as KafkaCompression;
const CONSUME_MESSAGES = Number(process.env['BENCH_CONSUME_MESSAGES'] ?? 150_000);
const PUBLISH_BATCH = 1_000;
// As bench:ingest's raw producer: four publishers of 1,000-event batches.
const PUBLISH_CONCURRENCY = 4;
// KafkaBus's default partitions and its per-request byte cap.
const PARTITIONS = 6;
const MAX_PRODUCE_BYTES = 512 * 1024;
const CONSUME_BATCH = 1_000;
// Records the platformatic consumer holds before it pauses its stream.
const CONSUME_BACKLOG = 20_000;
const TIMEOUT_MS = 10_000;
const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, '..', '..', '..', 'bench-results', 'kafka-clients.json');

type ClientName = 'kafkajs' | 'platformatic';
const CLIENTS: readonly ClientName[] = ['kafkajs', 'platformatic'];

interface Outgoing {
  key: string;
  value: string;
}

function sha(n: number): string {
  return (BigInt(n + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(64, '0').slice(-64);
}

/** Envelopes like ingest's (a few hundred bytes of JSON), keyed by a 64-hex indicator digest. */
function telemetry(count: number): Outgoing[] {
  const receivedAt = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const base = { id: `bench-${i}`, sensor: `sensor-${i % 500}`, host: `host-${i % 5000}`, time: receivedAt - i };
    const event = i % 3 === 0
      ? { ...base, type: 'url_visit', url: `https://www.site${i % 5000}.example/path/${i % 300}/index.html` }
      : { ...base, type: 'file_seen', file: { sha256: sha(i), name: `setup-${i % 97}.exe`, size: 1000 + i } };
    const value = `{"v":1,"tenant":"bench","receivedAt":${receivedAt},"event":${JSON.stringify(event)}}`;
    return { key: sha(i * 7), value };
  });
}

const RECORD_OVERHEAD_BYTES = 24;
const sizeOf = (m: Outgoing): number => RECORD_OVERHEAD_BYTES + Buffer.byteLength(m.key) + Buffer.byteLength(m.value);

/**
 * KafkaBus's publish path without the client: concurrent publishes queue up and go one produce
 * request at a time, merged up to MAX_PRODUCE_BYTES. Both clients send through it, so the
 * difference measured is the client's.
 */
type Send = (topic: string, messages: Outgoing[]) => Promise<void>;

function coalescing(send: Send): Send {
  const queue: { topic: string; messages: Outgoing[]; bytes: number; resolve(): void; reject(e: unknown): void }[] = [];
  let sending = false;
  const pump = (): void => {
    if (sending || queue.length === 0) return;
    sending = true;
    const batch = [queue.shift()!];
    let bytes = batch[0]!.bytes;
    while (queue.length > 0 && queue[0]!.topic === batch[0]!.topic && bytes + queue[0]!.bytes <= MAX_PRODUCE_BYTES) {
      bytes += queue[0]!.bytes;
      batch.push(queue.shift()!);
    }
    const messages = batch.length === 1 ? batch[0]!.messages : batch.flatMap((p) => p.messages);
    send(batch[0]!.topic, messages)
      .then(() => { for (const p of batch) p.resolve(); }, (err: unknown) => { for (const p of batch) p.reject(err); })
      .finally(() => {
        sending = false;
        pump();
      });
  };
  return (topic, messages) => new Promise<void>((resolve, reject) => {
    let bytes = 0;
    for (const m of messages) bytes += sizeOf(m);
    queue.push({ topic, messages, bytes, resolve, reject });
    pump();
  });
}

interface ProducerDriver {
  send(topic: string, messages: Outgoing[]): Promise<void>;
  close(): Promise<void>;
}

interface ConsumerDriver {
  /** Reads the topic from the start through a new group, committing after each batch, until `expected` were seen. */
  consume(topic: string, group: string, expected: number, handle: (batch: BusMessage[]) => void): Promise<void>;
}

// Warnings go to the client whose phase is running when they are raised.
let current: ClientName | 'setup' = 'setup';
let warmingUp = false;
const warnings: Record<ClientName | 'setup', string[]> = { kafkajs: [], platformatic: [], setup: [] };
const warn = (text: string): void => {
  warnings[current].push(warmingUp ? `(warm-up) ${text}` : text);
};
process.on('warning', (w) => warn(`${w.name}: ${w.message}`));

function kafkaJsClient(brokers: string[]): kafkajs.Kafka {
  const { Kafka, logLevel } = kafkajs;
  return new Kafka({
    clientId: 'bench-kafkajs',
    brokers,
    connectionTimeout: 3_000,
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => {
      if (level <= logLevel.WARN) warn(`kafkajs ${level === logLevel.ERROR ? 'error' : 'warn'}: ${log.message}`);
    },
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
  });
}

async function kafkaJsProducer(kafka: kafkajs.Kafka): Promise<ProducerDriver> {
  const producer: KafkaJsProducer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: keyPartitioner,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
  });
  await producer.connect();
  const compression = compressionType(COMPRESSION);
  return {
    send: async (topic, messages) => {
      await producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1, compression, timeout: TIMEOUT_MS });
    },
    close: () => producer.disconnect(),
  };
}

/** KafkaBus's consumer settings, given to both clients alike (each names the wait its own way). */
const FETCH = {
  sessionTimeout: TIMEOUT_MS,
  heartbeatInterval: 2_000,
  rebalanceTimeout: TIMEOUT_MS * 2,
  minBytes: 256 * 1024,
  maxBytesPerPartition: 8 * 1024 * 1024,
  maxBytes: 64 * 1024 * 1024,
};
const FETCH_WAIT_MS = 25;

function kafkaJsConsumer(kafka: kafkajs.Kafka): ConsumerDriver {
  return {
    consume: async (topic, group, expected, handle) => {
      const consumer: KafkaJsConsumer = kafka.consumer({
        groupId: group,
        ...FETCH,
        maxWaitTimeInMs: FETCH_WAIT_MS,
        allowAutoTopicCreation: false,
      });
      let seen = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
          const all = batch.messages;
          for (let start = 0; start < all.length; start += CONSUME_BATCH) {
            const slice = all.slice(start, start + CONSUME_BATCH);
            const messages: BusMessage[] = [];
            for (const m of slice) {
              const decoded = decodeRecord(batch.topic, batch.partition, m);
              if (!('reason' in decoded)) messages.push(decoded);
            }
            handle(messages);
            const last = slice.at(-1)!.offset;
            resolveOffset(last);
            const offset = (BigInt(last) + 1n).toString();
            const partitions = [{ partition: batch.partition, offset }];
            await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions }] });
            seen += slice.length;
            if (seen >= expected) done();
          }
          await heartbeat();
        },
      });
      const timer = setTimeout(done, 60_000);
      await finished;
      clearTimeout(timer);
      await consumer.disconnect();
    },
  };
}

const toBuffer = (v: string | Buffer | undefined): Buffer | undefined => (typeof v === 'string' ? Buffer.from(v) : v);

async function platformaticProducer(brokers: string[]): Promise<ProducerDriver> {
  const producer = new Producer<string, string, string, string>({
    clientId: 'bench-platformatic',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
    compression: COMPRESSION,
    // Murmur2 masked positive, modulo the partitions: Java's (and keyPartitioner's) choice; the
    // client's default partitioner takes the hash unsigned and sends keys elsewhere.
    partitioner: compatibilityPartitioner,
    autocreateTopics: false,
    timeout: TIMEOUT_MS,
    retries: 3,
    retryDelay: 100,
    serializers: { key: toBuffer, value: toBuffer, headerKey: toBuffer, headerValue: toBuffer },
  });
  return {
    send: async (topic, messages) => {
      // Every record names its topic: one object per message that kafkajs's sendBatch does not need.
      await producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value })) });
    },
    close: () => producer.close(),
  };
}

/** decodeRecord's reading of a record (UTF-8 key and headers) on this client's message shape. */
function decodePlatformatic(m: PlatformaticMessage): BusMessage | undefined {
  if (m.key.length > 0 && !isUtf8(m.key)) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of m.headerEntries) {
    if (!isUtf8(value)) return undefined;
    headers[name.toString()] = value.toString();
  }
  return { topic: m.topic, key: m.key.toString(), value: m.value, headers, id: `${m.partition}:${m.offset}` };
}

function platformaticConsumer(brokers: string[]): ConsumerDriver {
  return {
    consume: async (topic, group, expected, handle) => {
      const consumer = new Consumer({
        clientId: 'bench-platformatic',
        groupId: group,
        bootstrapBrokers: brokers,
        ...FETCH,
        maxWaitTime: FETCH_WAIT_MS,
        autocommit: false,
        autocreateTopics: false,
      });
      const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest' });
      let seen = 0;
      const pending: PlatformaticMessage[] = [];
      let running = false;
      let paused = false;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const failed = (err: unknown): void => {
        warn(`platformatic consumer: ${String(err)}`);
        done();
      };
      // The stream hands over one record at a time. One batch (what arrived by the next turn of
      // the loop, at most CONSUME_BATCH) is handled and committed at a time while the stream goes
      // on fetching, as KafkaBus's lane does with kafkajs. Pausing the stream for each commit
      // instead cut throughput to a third: it is paused only when a backlog builds up.
      const next = (): void => {
        if (running || pending.length === 0) return;
        running = true;
        const batch = pending.splice(0, CONSUME_BATCH);
        const messages: BusMessage[] = [];
        const lastOf = new Map<number, PlatformaticMessage>();
        for (const m of batch) {
          const decoded = decodePlatformatic(m);
          if (decoded !== undefined) messages.push(decoded);
          lastOf.set(m.partition, m);
        }
        handle(messages);
        Promise.all([...lastOf.values()].map((m) => m.commit())).then(() => {
          running = false;
          seen += batch.length;
          if (seen >= expected) return done();
          if (paused && pending.length < CONSUME_BACKLOG / 2) {
            paused = false;
            stream.resume();
          }
          next();
        }, failed);
      };
      stream.on('data', (m: PlatformaticMessage) => {
        if (pending.push(m) === 1) setImmediate(next);
        if (pending.length >= CONSUME_BACKLOG && !paused) {
          paused = true;
          stream.pause();
        }
      });
      stream.on('error', failed);
      const timer = setTimeout(done, 60_000);
      await finished;
      clearTimeout(timer);
      await stream.close();
      await consumer.close();
    },
  };
}

// The project's zstd setting (kafka-compression.ts): level 1, which keeps most of the ratio on
// these envelopes at a fraction of the default level's CPU. The client has no codec option;
// its codec table is exported and read at each batch.
const zstdLevel1 = { params: { [constants.ZSTD_c_compressionLevel]: 1 } };
const zstdCodec = compressionsAlgorithms.zstd as { compressSync: (data: Buffer | { buffer: Buffer }) => Buffer };
zstdCodec.compressSync = (data) => zstdCompressSync(Buffer.isBuffer(data) ? data : data.buffer, zstdLevel1);

interface RunFigures {
  produceMsgsPerS: number;
  produceCpuUsPerMsg: number;
  consumeMsgsPerS: number;
  consumeCpuUsPerMsg: number;
  /** From subscribe to the first batch: group join, offset lookup, first fetch. */
  consumeFirstBatchMs: number;
}

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return used.user + used.system;
};

async function producePhase(driver: ProducerDriver, topic: string, messages: Outgoing[], ms: number) {
  const publish = coalescing((t, m) => driver.send(t, m));
  let sent = 0;
  const deadline = Date.now() + ms;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: PUBLISH_CONCURRENCY }, async () => {
    while (Date.now() < deadline) {
      await publish(topic, messages);
      sent += messages.length;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return { sent, msgsPerS: sent / seconds, cpuUsPerMsg: cpuSince(cpu) / sent };
}

async function consumePhase(driver: ConsumerDriver, topic: string, expected: number) {
  let seen = 0;
  let first: number | undefined;
  let last = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await driver.consume(topic, `bench-${current}-${Date.now()}`, expected, (batch) => {
    first ??= performance.now();
    // Decoding the envelope is part of what any consumer pays.
    for (const m of batch) JSON.parse(m.value.toString('utf8'));
    seen += batch.length;
    last = performance.now();
  });
  const cpuUs = cpuSince(cpu);
  if (seen < expected) throw new Error(`${current} consumer saw ${seen} of ${expected} messages`);
  const f = first ?? started;
  return { msgsPerS: seen / Math.max(0.001, (last - f) / 1000), cpuUsPerMsg: cpuUs / seen, firstBatchMs: f - started };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const t0 = Date.now();
const loadBefore = loadavg();
const envBrokers = process.env['REPUTE_TEST_KAFKA_BROKERS'] ?? process.env['BENCH_KAFKA_BROKERS'];
let broker: KafkaBroker | undefined;
if (envBrokers === undefined) broker = await startKafka();
const brokers = envBrokers?.split(',') ?? broker!.brokers;
const runs: Record<ClientName, RunFigures[]> = { kafkajs: [], platformatic: [] };
const messages = telemetry(PUBLISH_BATCH);
const loadDuring: number[] = [];
try {
  // Only kafkajs runs while the topics are made and the consumers' topic is written.
  current = 'kafkajs';
  const kafka = kafkaJsClient(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const stamp = Date.now();
  const topicOf = (name: string): string => `bench.kafka-clients.${stamp}.${name}`;
  // One topic per client and run, and one for the warm-up.
  const perRun = CLIENTS.flatMap((c) => Array.from({ length: RUNS + 1 }, (_, r) => topicOf(`${c}.${r}`)));
  const topics = [topicOf('source'), ...perRun];
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    waitForLeaders: true,
  });

  // Both consumers read the same topic, written once by kafkajs: the same record batches, so the
  // consumer figures compare the clients' reading alone.
  const source = await kafkaJsProducer(kafka);
  const fill = coalescing((t, m) => source.send(t, m));
  const fills: Promise<void>[] = [];
  for (let n = 0; n < CONSUME_MESSAGES; n += PUBLISH_BATCH) fills.push(fill(topicOf('source'), messages));
  await Promise.all(fills);
  await source.close();

  const producers: Record<ClientName, ProducerDriver> = {
    kafkajs: await kafkaJsProducer(kafka),
    platformatic: await platformaticProducer(brokers),
  };
  const consumers: Record<ClientName, ConsumerDriver> = {
    kafkajs: kafkaJsConsumer(kafka),
    platformatic: platformaticConsumer(brokers),
  };

  // Warm-up (connections, metadata, idempotent producer ids, the broker's group coordinator,
  // JIT), not counted; what it warns of is reported marked as such.
  warmingUp = true;
  for (const client of CLIENTS) {
    current = client;
    await producePhase(producers[client], topicOf(`${client}.${RUNS}`), messages, 1_000);
    // The whole topic: with only a batch, platformatic's consumer was still warming up in the
    // first run and came out faster in every later one.
    await consumePhase(consumers[client], topicOf('source'), CONSUME_MESSAGES);
  }
  warmingUp = false;
  for (let r = 0; r < RUNS; r++) {
    // kafkajs first on even runs, platformatic first on odd ones.
    for (const client of r % 2 === 0 ? CLIENTS : [...CLIENTS].reverse()) {
      current = client;
      const produced = await producePhase(producers[client], topicOf(`${client}.${r}`), messages, PHASE_MS);
      const consumed = await consumePhase(consumers[client], topicOf('source'), CONSUME_MESSAGES);
      loadDuring.push(loadavg()[0]!);
      runs[client].push({
        produceMsgsPerS: produced.msgsPerS,
        produceCpuUsPerMsg: produced.cpuUsPerMsg,
        consumeMsgsPerS: consumed.msgsPerS,
        consumeCpuUsPerMsg: consumed.cpuUsPerMsg,
        consumeFirstBatchMs: consumed.firstBatchMs,
      });
      const line = `produce ${fmt(produced.msgsPerS)}/s, consume ${fmt(consumed.msgsPerS)}/s`;
      console.error(`run ${r + 1}/${RUNS} ${client}: ${line}`);
    }
  }
  current = 'platformatic';
  await producers.platformatic.close();
  current = 'kafkajs';
  await producers.kafkajs.close();
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
  current = 'setup';
} finally {
  await broker?.close();
}

const metrics = [
  'produceMsgsPerS', 'produceCpuUsPerMsg', 'consumeMsgsPerS', 'consumeCpuUsPerMsg', 'consumeFirstBatchMs',
] as const;
type Metric = (typeof metrics)[number];
const mediansOf = (c: ClientName): Record<Metric, number> =>
  Object.fromEntries(metrics.map((k) => [k, median(runs[c].map((x) => x[k]))])) as Record<Metric, number>;
const medians = { kafkajs: mediansOf('kafkajs'), platformatic: mediansOf('platformatic') };
const ratio = (k: Metric): number => Number((medians.platformatic[k] / medians.kafkajs[k]).toFixed(3));
// Each run's platformatic figure over the kafkajs one of the same run, whose load it shared.
const paired = (k: Metric): number =>
  Number(median(runs.platformatic.map((p, i) => p[k] / runs.kafkajs[i]![k])).toFixed(3));
const uniqueWarnings = (c: ClientName | 'setup'): string[] => [...new Set(warnings[c])];

const rows: string[][] = [
  ['client', 'produce msg/s', 'produce µs CPU/msg', 'consume msg/s', 'consume µs CPU/msg', 'first batch ms',
    'warnings'],
];
for (const c of CLIENTS) {
  const m = medians[c];
  rows.push([
    c, fmt(m.produceMsgsPerS), m.produceCpuUsPerMsg.toFixed(2), fmt(m.consumeMsgsPerS), m.consumeCpuUsPerMsg.toFixed(2),
    fmt(m.consumeFirstBatchMs), String(warnings[c].length),
  ]);
}
for (const [label, r] of [['platformatic/kafkajs', ratio], ['  same-run pairs', paired]] as const) {
  rows.push([label, ...metrics.map((k) => r(k).toFixed(2)), '']);
}
const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
const pad = (cell: string, col: number): string =>
  (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!));
for (const r of rows) console.log(r.map(pad).join('  '));
for (const c of CLIENTS) for (const w of uniqueWarnings(c)) console.log(`${c} warning: ${w}`);

const cores = cpus().length;
// Load that was there before the broker and this bench started is someone else's.
const shared = loadBefore[0]! > 0.5;
const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
const roundedRun = (r: RunFigures): Record<Metric, number> =>
  Object.fromEntries(metrics.map((k) => [k, round(r[k])])) as Record<Metric, number>;
const report = {
  benchmark: 'kafka-clients',
  date: new Date().toISOString(),
  node: process.version,
  versions: { kafkajs: versionOf('kafkajs'), platformatic: versionOf('@platformatic/kafka') },
  settings: {
    phaseMs: PHASE_MS, runs: RUNS, publishBatch: PUBLISH_BATCH, publishConcurrency: PUBLISH_CONCURRENCY,
    maxProduceBytes: MAX_PRODUCE_BYTES, partitions: PARTITIONS, compression: COMPRESSION, zstdLevel: 1, acks: 'all',
    idempotent: true, consumeMessages: CONSUME_MESSAGES, consumeBatch: CONSUME_BATCH,
    messageBytes: Math.round(messages.reduce((n, m) => n + sizeOf(m) - RECORD_OVERHEAD_BYTES, 0) / messages.length),
  },
  medians: Object.fromEntries(CLIENTS.map((c) => [c, {
    produce_msgs_per_s: Math.round(medians[c].produceMsgsPerS),
    produce_cpu_us_per_msg: round(medians[c].produceCpuUsPerMsg),
    consume_msgs_per_s: Math.round(medians[c].consumeMsgsPerS),
    consume_cpu_us_per_msg: round(medians[c].consumeCpuUsPerMsg),
    consume_first_batch_ms: Math.round(medians[c].consumeFirstBatchMs),
  }])),
  ratios: {
    baseline: 'kafkajs, measured in the same run; platformatic/kafkajs of the medians',
    produce_msgs_per_s: ratio('produceMsgsPerS'),
    produce_cpu_us_per_msg: ratio('produceCpuUsPerMsg'),
    consume_msgs_per_s: ratio('consumeMsgsPerS'),
    consume_cpu_us_per_msg: ratio('consumeCpuUsPerMsg'),
  },
  paired_ratios: {
    baseline: 'median over runs of platformatic/kafkajs within each run',
    produce_msgs_per_s: paired('produceMsgsPerS'),
    produce_cpu_us_per_msg: paired('produceCpuUsPerMsg'),
    consume_msgs_per_s: paired('consumeMsgsPerS'),
    consume_cpu_us_per_msg: paired('consumeCpuUsPerMsg'),
  },
  runs: Object.fromEntries(CLIENTS.map((c) => [c, runs[c].map(roundedRun)])),
  warnings: {
    kafkajs: uniqueWarnings('kafkajs'), platformatic: uniqueWarnings('platformatic'), setup: uniqueWarnings('setup'),
  },
  load: { cores, loadavgBefore: loadBefore.map((x) => round(x)), loadavg1During: loadDuring.map((x) => round(x)) },
  ...(shared
    ? { note: `measured on a shared machine: load average ${round(loadBefore[0]!)} on ${cores} cores before it began` }
    : {}),
  durationS: Math.round((Date.now() - t0) / 1000),
};
mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${resultsFile} (${report.durationS} s)`);

function versionOf(name: string): string {
  for (let dir = dirname(createRequire(import.meta.url).resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      // no package.json at this level
    }
  }
  return 'unknown';
}
