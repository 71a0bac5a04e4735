import type { TestContext } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createKeyStore } from '@repute/auth';
import { dropDatabase, testClickHouse, testClickHouseConfig } from '@repute/analytics/testkit';
import { createBus, type Bus } from '@repute/bus';
import { loadConfig } from '@repute/config';
import { digestOf, recordKey, type IndicatorKind } from '@repute/core';
import { edgeApp, loadEdgeConfig } from '@repute/edge';
import { ingestApp, loadIngestConfig } from '@repute/ingest';
import { testKafkaBrokers, testRedisUrl, deleteKeysWithPrefix, uniqueName } from '@repute/infra/testkit';
import { correlatorConfig, type CorrelatorConfig } from '../src/config.ts';
import type { IndicatorRef } from '../src/correlator.ts';
import { stateKeys } from '@repute/verdicts';
import { startWorker, type CorrelatorWorker } from '../src/worker.ts';

export type BusKind = 'redis' | 'kafka';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

export function ref(kind: IndicatorKind, value: string): IndicatorRef {
  const digest = digestOf(kind, value).toString('hex');
  return { kind, value, digest, key: recordKey(kind, digest) };
}

/** Polls until `probe` holds (conditions, never sleeps). */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The whole path on one bus: ingest (HTTP, injected) publishes to the bus, correlator workers
 * consume it, the edge (HTTP, injected) answers from what they wrote. Everything shares one key
 * prefix, one topic, one consumer group and one ClickHouse database, all unique to the test.
 */
export interface Pipeline {
  kind: BusKind;
  prefix: string;
  database: string;
  topic: string;
  group: string;
  redis: Redis;
  bus: Bus;
  ingest: FastifyInstance;
  edge: FastifyInstance;
  correlatorConfig: CorrelatorConfig;
  /** The running correlator (replaced by `restartCorrelator`). */
  worker: CorrelatorWorker;
  /** Posts events with the ingest key of `tenant`; returns the parsed answer. */
  post(events: object[], tenant?: string): Promise<{ accepted: number; rejected: number }>;
  /** Looks up through the edge's public API. */
  /** Looks up with a lookup key of `tenant`: by default `reader`, a tenant that sends nothing (the global view). */
  lookup(path: string, tenant?: string): Promise<{ verdict: string; reasons: { rule: string; detail?: string; evidence: number }[]; prevalence?: { sensors: number; tenants: number } }>;
  /** Starts a correlator in the same group (after the previous one was stopped or aborted). */
  startCorrelator(overrides?: Partial<CorrelatorConfig>): Promise<CorrelatorWorker>;
  /** Waits until the group has processed and acknowledged everything published. */
  drained(timeoutMs?: number): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
  /** The correlator's event counter of an indicator (`n`: events applied, once each). */
  applied(r: IndicatorRef): Promise<number>;
}

export async function startPipeline(t: TestContext, kind: BusKind, options: { batchSize?: number; eventsInFlight?: number } = {}): Promise<Pipeline> {
  const redisUrl = await testRedisUrl();
  const brokers = kind === 'kafka' ? (await testKafkaBrokers()).join(',') : '';
  const prefix = `${uniqueName('e2e')}:`;
  const database = uniqueName('e2e');
  const topic = uniqueName('telemetry');
  const group = uniqueName('correlator');
  const busEnv = {
    BUS_KIND: kind, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, TELEMETRY_TOPIC: topic, LOG_LEVEL: 'silent',
    ...(kind === 'kafka' ? { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PARTITIONS: '3' } : {}),
  };
  const redis = new Redis(redisUrl);
  const clickhouse = testClickHouse();
  const keys = createKeyStore(redis, { prefix });
  const ingestKeys = new Map<string, string>();
  for (const tenant of ['t1', 't2', 't3']) ingestKeys.set(tenant, (await keys.create({ tenant, scopes: ['ingest'] })).key);
  const lookupKeys = new Map<string, string>();
  for (const tenant of ['reader', 't1', 't2', 't3']) lookupKeys.set(tenant, (await keys.create({ tenant, scopes: ['lookup'] })).key);

  const config = loadConfig(correlatorConfig, {
    env: {
      ...busEnv,
      CLICKHOUSE_DATABASE: database,
      ...testClickHouseConfig(),
      CORRELATOR_GROUP: group,
      CORRELATOR_BATCH_SIZE: String(options.batchSize ?? 1000),
      ...(options.eventsInFlight !== undefined ? { CORRELATOR_EVENTS_IN_FLIGHT: String(options.eventsInFlight) } : {}),
      // A consumer that takes over from a crashed one claims its batch quickly.
      BUS_CLAIM_MIN_IDLE_MS: '500',
    },
  });

  // The ingest service publishes on its own bus, as it would in its own process.
  const ingestConfig = loadIngestConfig({ env: { ...busEnv, BUS_PUBLISH_TIMEOUT_MS: '10000' } });
  const bus = createBus(ingestConfig);
  const ingest = Fastify({ logger: false });
  await ingest.register(ingestApp, { config: ingestConfig, bus, keys });
  await ingest.ready();
  const edge = Fastify({ logger: false });
  await edge.register(edgeApp, {
    config: loadEdgeConfig({ env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', EDGE_FILTER_CAPACITY: '10000', EDGE_FILTER_REBUILD_INTERVAL_S: '0', EDGE_K_ANONYMITY: '1' } }),
  });
  await edge.ready();

  const workers: CorrelatorWorker[] = [];
  const pipeline: Pipeline = {
    kind, prefix, database, topic, group, redis, bus, ingest, edge, correlatorConfig: config,
    worker: undefined as unknown as CorrelatorWorker,
    async post(events, tenant = 't1') {
      const res = await ingest.inject({
        method: 'POST', url: '/v1/telemetry', payload: JSON.stringify(events),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKeys.get(tenant)}` },
      });
      if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}: ${res.body}`);
      return res.json();
    },
    async lookup(path, tenant = 'reader') {
      const res = await edge.inject({ url: path, headers: { authorization: `Bearer ${lookupKeys.get(tenant)}` } });
      if (res.statusCode !== 200) throw new Error(`edge answered ${res.statusCode}: ${res.body}`);
      return res.json();
    },
    async startCorrelator(overrides = {}) {
      const worker = await startWorker({ ...config, ...overrides }, silent);
      workers.push(worker);
      pipeline.worker = worker;
      return worker;
    },
    async drained(timeoutMs = 30_000) {
      await until('the correlator to drain the topic', async () => (await bus.lag(topic, group)) === 0, timeoutMs);
    },
    async query<T>(sql: string) {
      return (await clickhouse.query({ query: sql, format: 'JSONEachRow' })).json<T>();
    },
    async applied(r) {
      return Number((await redis.hget(stateKeys(prefix, r.key).state, 'n')) ?? 0);
    },
  };
  await pipeline.startCorrelator();

  t.after(async () => {
    for (const w of workers) await w.close().catch(() => {});
    await ingest.close();
    await edge.close();
    await bus.close();
    await deleteKeysWithPrefix(redis, prefix);
    await dropDatabase(clickhouse, database);
    await clickhouse.close();
    redis.disconnect();
  });
  return pipeline;
}
