import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createOverlayStore, createRedis, createReputationStore, type OverlayStore, type RedisClient, type ReputationStore } from '@repute/store';
import type { EdgeConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    edgeRedis: RedisClient;
    edgeStore: ReputationStore;
    edgeOverlayStore: OverlayStore;
  }
}

/**
 * The edge's Redis client: no offline queue and a short command timeout, so a lookup fails
 * fast and answers degraded while Redis is away; ioredis reconnects by itself.
 */
async function redisPlugin(fastify: FastifyInstance, opts: { config: EdgeConfig }): Promise<void> {
  const config = opts.config;
  const redis = createRedis(config, { commandTimeoutMs: config.EDGE_REDIS_TIMEOUT_MS, name: 'repute-edge', log: fastify.log });
  if (redis.status !== 'ready') await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis not reachable within 10 s (${config.REDIS_URL})`)), 10_000);
    redis.once('ready', () => { clearTimeout(timer); resolve(); });
  });
  const store = createReputationStore(redis, { prefix: config.REDIS_KEY_PREFIX, streamMaxLength: config.EDGE_STREAM_MAX_LENGTH });
  fastify.decorate<RedisClient>('edgeRedis', redis);
  fastify.decorate('edgeStore', store);
  fastify.decorate('edgeOverlayStore', createOverlayStore(redis, store));
  fastify.readiness.add('redis', async () => redis.status === 'ready' && (await redis.ping()) === 'PONG');
  fastify.addHook('onClose', async () => {
    redis.disconnect();
  });
}

export default fp(redisPlugin, { name: 'repute-edge-redis', dependencies: ['repute-observability'] });
