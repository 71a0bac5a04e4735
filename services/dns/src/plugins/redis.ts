import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createOverlayStore, createRedis, createReputationStore, type OverlayStore, type RedisClient, type ReputationStore } from '@repute/store';
import type { DnsAppConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dnsRedis: RedisClient;
    dnsStore: ReputationStore;
    dnsOverlayStore: OverlayStore;
  }
}

/**
 * The DNS front end's own Redis client, as the edge's: no offline queue and a short command
 * timeout, so a query fails fast (SERVFAIL, which resolvers retry) while Redis is away.
 */
async function redisPlugin(fastify: FastifyInstance, opts: { config: DnsAppConfig; readiness: boolean }): Promise<void> {
  const config = opts.config;
  const redis = createRedis(config, { commandTimeoutMs: config.DNS_REDIS_TIMEOUT_MS, name: 'repute-dns', log: fastify.log });
  if (redis.status !== 'ready') await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis not reachable within 10 s (${config.REDIS_URL})`)), 10_000);
    redis.once('ready', () => { clearTimeout(timer); resolve(); });
  });
  const store = createReputationStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  fastify.decorate<RedisClient>('dnsRedis', redis);
  fastify.decorate('dnsStore', store);
  fastify.decorate('dnsOverlayStore', createOverlayStore(redis, store));
  if (opts.readiness) fastify.readiness.add('dns-redis', async () => redis.status === 'ready' && (await redis.ping()) === 'PONG');
  fastify.addHook('onClose', async () => {
    redis.disconnect();
  });
}

export default fp(redisPlugin, { name: 'repute-dns-redis', dependencies: ['repute-observability'] });
