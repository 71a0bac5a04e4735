import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { authPlugin, createKeyStore, type KeyStore } from '@repute/auth';
import { createRedis } from '@repute/store';
import type { IngestConfig } from '../config.ts';

export interface IngestAuthOptions {
  config: IngestConfig;
  /** A key store owned by the caller; otherwise one is created on its own Redis connection. */
  keys?: KeyStore;
}

/** API keys with scopes and per-key rate limits; skipped when the launcher already mounted auth. */
async function ingestAuth(fastify: FastifyInstance, options: IngestAuthOptions): Promise<void> {
  if (fastify.hasDecorator('apiKeys')) return;
  const { config } = options;
  let keys = options.keys;
  if (keys === undefined) {
    const redis = createRedis(config);
    fastify.addHook('onClose', async () => { redis.disconnect(); });
    keys = createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  }
  await fastify.register(authPlugin, { keys, defaultRateLimitPerMinute: config.INGEST_RATE_LIMIT_PER_MINUTE });
}

export default fp(ingestAuth, { name: 'repute-ingest-auth', fastify: '5.x' });
