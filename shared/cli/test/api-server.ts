import Fastify, { type FastifyInstance } from 'fastify';
import { authPlugin, createKeyStore } from '@repute/auth';
import { createBus } from '@repute/bus';
import { edgeApp, loadEdgeConfig } from '@repute/edge';
import { observabilityPlugin, problemPlugin } from '@repute/http';
import { ingestApp, loadIngestConfig } from '@repute/ingest';
import { testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { createRedis, type RedisClient } from '@repute/store';
import { dropPrefix } from './helpers.ts';

/** The edge and ingest on one listener under a fresh key prefix, mounted as the launcher mounts them. */
export interface ApiServer {
  /** What `repute` needs to reach them: REDIS_URL, REDIS_KEY_PREFIX, BUS_KIND, REPUTE_API_URL. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startApiServer(label: string): Promise<ApiServer> {
  const redisUrl = await testRedisUrl();
  const prefix = `${uniqueName(label)}:`;
  const common = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, BUS_KIND: 'redis', LOG_LEVEL: 'silent' };
  const redis: RedisClient = createRedis({ REDIS_URL: redisUrl }, { offlineQueue: true });
  const keys = createKeyStore(redis, { prefix });
  const ingestConfig = loadIngestConfig({ env: common });
  const bus = createBus(ingestConfig);
  const app: FastifyInstance = Fastify({ logger: false });
  const close = async (): Promise<void> => {
    await app.close();
    await bus.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  };
  try {
    // Once at the root, as the launcher does, so that both services share them.
    await app.register(problemPlugin);
    await app.register(observabilityPlugin);
    await app.register(authPlugin, { keys, tailRevocations: false });
    await app.register(edgeApp, { config: loadEdgeConfig({ env: { ...common, EDGE_FILTER_CAPACITY: '10000', EDGE_FILTER_REBUILD_INTERVAL_S: '0' } }) });
    await app.register(ingestApp, { config: ingestConfig, bus, keys });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, BUS_KIND: 'redis', REPUTE_API_URL: url }, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
