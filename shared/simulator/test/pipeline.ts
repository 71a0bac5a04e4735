import type { TestContext } from 'node:test';
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

/** A live deployment for one test: ingest and edge listening on loopback, the correlator in process. */
export interface Deployment {
  edgeUrl: string;
  ingestUrl: string;
  lookupKey: string;
  /** One ingest key per tenant, in tenant order. */
  ingestKeys: string[];
  /** Messages the correlator has not processed and acknowledged yet. */
  lag(): Promise<number>;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/**
 * Starts the real pipeline on the test's Redis (a key prefix of its own) and chDB (a database
 * of its own), on the Redis Streams bus; everything is closed and deleted in `t.after`.
 */
export async function startDeployment(t: TestContext, tenants: number): Promise<Deployment> {
  const redisUrl = await testRedisUrl();
  const prefix = `${uniqueName('sim')}:`;
  const database = uniqueName('sim');
  const topic = uniqueName('telemetry');
  const group = uniqueName('correlator');
  const busEnv = { BUS_KIND: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, TELEMETRY_TOPIC: topic, LOG_LEVEL: 'silent' };
  const redis = new Redis(redisUrl);
  const clickhouse = testClickHouse();
  const keys = createKeyStore(redis, { prefix });
  const ingestKeys: string[] = [];
  for (let i = 1; i <= tenants; i++) ingestKeys.push((await keys.create({ tenant: `tenant-${String(i).padStart(2, '0')}`, scopes: ['ingest'] })).key);
  const lookupKey = (await keys.create({ tenant: 'simulator', scopes: ['lookup'] })).key;

  const chdb = testClickHouseConfig();
  const config = loadConfig(correlatorConfig, {
    env: {
      ...busEnv,
      CLICKHOUSE_DATABASE: database,
      ...(chdb.CLICKHOUSE_URL !== undefined ? { CLICKHOUSE_URL: chdb.CLICKHOUSE_URL } : { CLICKHOUSE_DATA_DIR: chdb.CLICKHOUSE_DATA_DIR ?? '' }),
      CORRELATOR_GROUP: group,
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

  t.after(async () => {
    await worker.close().catch(() => {});
    await ingest.close();
    await edge.close();
    await bus.close();
    await deleteKeysWithPrefix(redis, prefix);
    await dropDatabase(clickhouse, database);
    await clickhouse.close();
    redis.disconnect();
  });
  return { edgeUrl, ingestUrl, lookupKey, ingestKeys, lag: () => bus.lag(topic, group) };
}
