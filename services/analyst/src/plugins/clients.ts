import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createClickHouse, migrate, type ClickHouseClient } from '@repute/analytics';
import { createKeyStore, type KeyStore } from '@repute/auth';
import { createRescorer, DEFAULT_POLICY_PATH, loadPolicy, type Rescorer } from '@repute/verdicts';
import { createRedis, createReputationStore, type RedisClient, type ReputationStore } from '@repute/store';
import type { AnalystConfig } from '../config.ts';
import { createDisputeStore, type DisputeStore } from '../disputes/dispute-store.ts';
import { createAnalyticsReader, type AnalyticsReader } from '../queries/analytics-reader.ts';
import { createWatchlistStore, type WatchlistStore } from '../watchlists/watchlist-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    analystConfig: AnalystConfig;
    analystRedis: RedisClient;
    analystStore: ReputationStore;
    analystKeys: KeyStore;
    /** Read-only, bounded queries (readonly=1, max_execution_time, max_result_rows). */
    analystReader: AnalyticsReader;
    /** The write client: override audit rows and verdict log through the shared verdicts module. */
    analystClickHouse: ClickHouseClient;
    /** The shared re-scoring path, used by overrides so the record and log stay one story. */
    analystRescorer: Rescorer;
    analystDisputes: DisputeStore;
    analystWatchlists: WatchlistStore;
  }
}

/** The analyst's infra clients: Redis, two ClickHouse clients (read-only and writer), the override path. */
async function clientsPlugin(fastify: FastifyInstance, opts: { config: AnalystConfig }): Promise<void> {
  const config = opts.config;
  const redis = createRedis(config, { name: 'repute-analyst', commandTimeoutMs: 5000, offlineQueue: true, log: fastify.log });
  const prefix = config.REDIS_KEY_PREFIX;
  const store = createReputationStore(redis, { prefix });
  const writer = createClickHouse(config);
  const reading = createClickHouse(config);
  // The analyst may start before the correlator: the schema is brought up to date idempotently.
  await migrate(writer, { database: config.CLICKHOUSE_DATABASE, retentionDays: config.CLICKHOUSE_RETENTION_DAYS });
  const policy = loadPolicy(config.ANALYST_POLICY_FILE !== '' ? config.ANALYST_POLICY_FILE : DEFAULT_POLICY_PATH);
  const rescorer = createRescorer({ redis, store, clickhouse: writer, database: config.CLICKHOUSE_DATABASE, policy: () => policy, prefix });

  fastify.decorate('analystConfig', config);
  fastify.decorate<RedisClient>('analystRedis', redis);
  fastify.decorate('analystStore', store);
  fastify.decorate('analystKeys', createKeyStore(redis, { prefix }));
  fastify.decorate('analystClickHouse', writer);
  fastify.decorate('analystReader', createAnalyticsReader(reading, config.CLICKHOUSE_DATABASE, { timeoutS: config.ANALYST_QUERY_TIMEOUT_S, maxRows: config.ANALYST_MAX_RESULT_ROWS }));
  fastify.decorate('analystRescorer', rescorer);
  fastify.decorate('analystDisputes', createDisputeStore(redis, prefix));
  fastify.decorate('analystWatchlists', createWatchlistStore(redis, prefix));
  fastify.readiness.add('analyst-redis', async () => redis.status === 'ready' && (await redis.ping()) === 'PONG');
  fastify.readiness.add('analyst-clickhouse', async () => (await reading.ping()).success);
  fastify.addHook('onClose', async () => {
    await reading.close();
    await writer.close();
    redis.disconnect();
  });
}

export default fp(clientsPlugin, { name: 'repute-analyst-clients', dependencies: ['repute-observability'] });
