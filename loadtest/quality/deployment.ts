import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createKeyStore } from '@repute/auth';
import { dropDatabase, testClickHouse, testClickHouseConfig } from '@repute/analytics/testkit';
import { createBus } from '@repute/bus';
import { loadConfig } from '@repute/config';
import { correlatorConfig, startWorker } from '@repute/correlator';
import { edgeApp, loadEdgeConfig } from '@repute/edge';
import { ingestApp, loadIngestConfig } from '@repute/ingest';
import { testRedisUrl, deleteKeysWithPrefix, uniqueName } from '@repute/infra/testkit';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** A live deployment: ingest and edge listening on loopback, the correlator worker in process. */
export interface Deployment {
  edgeUrl: string;
  ingestUrl: string;
  /** Ingest key per tenant. */
  ingestKeys: Map<string, string>;
  /** Lookup key per tenant (its tenant-local view). */
  lookupKeys: Map<string, string>;
  /** Lookup key of a tenant that sends nothing (the global view). */
  observerKey: string;
  /** Messages the correlator has not processed and acknowledged yet. */
  lag(): Promise<number>;
  /** The deployment's ClickHouse database and a client of it, to look into what it recorded. */
  database: string;
  clickhouse: ReturnType<typeof testClickHouse>;
  /** Stops everything and deletes the deployment's Redis keys and ClickHouse database. */
  close(): Promise<void>;
}

export interface DeploymentOptions {
  tenants: readonly string[];
  /** Extra correlator environment (e.g. a longer claim interval under a virtual clock). */
  correlatorEnv?: Record<string, string>;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/**
 * Starts the real pipeline on the run's Redis (a key prefix of its own) and ClickHouse (a
 * database of its own), on the Redis Streams bus, with an ingest and a lookup key per tenant.
 */
export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const redisUrl = await testRedisUrl();
  const prefix = `${uniqueName('sim')}:`;
  const database = uniqueName('sim');
  const topic = uniqueName('telemetry');
  const group = uniqueName('correlator');
  const busEnv = { BUS_KIND: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, TELEMETRY_TOPIC: topic, LOG_LEVEL: 'silent' };
  const redis = new Redis(redisUrl);
  const clickhouse = testClickHouse();
  const keys = createKeyStore(redis, { prefix });
  // Limits far above what a replay needs: a 429 would only slow it down.
  const limit = { rateLimitPerMinute: 10_000_000 };
  const ingestKeys = new Map<string, string>();
  const lookupKeys = new Map<string, string>();
  for (const tenant of options.tenants) {
    ingestKeys.set(tenant, (await keys.create({ tenant, scopes: ['ingest'], ...limit })).key);
    lookupKeys.set(tenant, (await keys.create({ tenant, scopes: ['lookup'], ...limit })).key);
  }
  const observerKey = (await keys.create({ tenant: 'simulator', scopes: ['lookup'], ...limit })).key;

  const config = loadConfig(correlatorConfig, {
    env: {
      ...busEnv,
      CLICKHOUSE_DATABASE: database,
      ...testClickHouseConfig(),
      CORRELATOR_GROUP: group,
      ...options.correlatorEnv,
    },
  });
  const ingestConfig = loadIngestConfig({ env: { ...busEnv, BUS_PUBLISH_TIMEOUT_MS: '10000' } });
  const bus = createBus(ingestConfig);
  const ingest = Fastify({ logger: false });
  await ingest.register(ingestApp, { config: ingestConfig, bus, keys });
  const edge = Fastify({ logger: false });
  await edge.register(edgeApp, {
    config: loadEdgeConfig({ env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', EDGE_FILTER_CAPACITY: '100000', EDGE_FILTER_REBUILD_INTERVAL_S: '0' } }),
  });
  const worker = await startWorker(config, silent);
  const ingestUrl = await listen(ingest);
  const edgeUrl = await listen(edge);

  return {
    edgeUrl,
    ingestUrl,
    ingestKeys,
    lookupKeys,
    observerKey,
    lag: () => bus.lag(topic, group),
    database,
    clickhouse,
    async close() {
      await worker.close().catch(() => {});
      await ingest.close();
      await edge.close();
      await bus.close();
      await deleteKeysWithPrefix(redis, prefix);
      await dropDatabase(clickhouse, database);
      await clickhouse.close();
      redis.disconnect();
    },
  };
}
