import type { FastifyInstance } from 'fastify';
import { authPlugin, createKeyStore } from '@repute/auth';
import { observabilityPlugin, problemPlugin } from '@repute/http';
import type { EdgeConfig } from './config.ts';
import { lazyChildLogger } from './http/lazy-child-logger.ts';
import type { SliceScheduler } from './lookup/slice-scheduler.ts';
import filtersPlugin from './plugins/filters.ts';
import lookupPlugin from './plugins/lookup.ts';
import metricsPlugin from './plugins/metrics.ts';
import redisPlugin from './plugins/redis.ts';
import updatesPlugin from './plugins/updates.ts';
import filterRoutes from './routes/filters/index.ts';
import reputationRoutes from './routes/reputation/index.ts';

export interface EdgeAppOptions {
  config: EdgeConfig;
  /** Runs batches in slices of this scheduler's size (by default half a millisecond). */
  batchSlices?: SliceScheduler;
}

/**
 * The edge lookup service as a plugin: a launcher can mount it beside other services (its
 * decorators are all `edge*`; the shared error, observability and auth plugins register once).
 */
export default async function edgeApp(fastify: FastifyInstance, opts: EdgeAppOptions): Promise<void> {
  const { config } = opts;
  // Ecosystem and shared plugins.
  if (!fastify.hasPlugin('repute-problem')) await fastify.register(problemPlugin);
  if (!fastify.hasPlugin('repute-observability')) await fastify.register(observabilityPlugin);

  // Infra clients.
  await fastify.register(metricsPlugin);
  await fastify.register(redisPlugin, { config });
  if (!fastify.hasPlugin('repute-auth')) {
    await fastify.register(authPlugin, {
      keys: createKeyStore(fastify.edgeRedis, { prefix: config.REDIS_KEY_PREFIX }),
      defaultRateLimitPerMinute: config.EDGE_RATE_LIMIT_PER_MINUTE,
      // The edge tails the update stream itself and hands revocations over.
      tailRevocations: false,
    });
  }
  await fastify.register(filtersPlugin, { config });
  await fastify.register(updatesPlugin, { config });
  await fastify.register(lookupPlugin, { config });

  // Hooks: request loggers are made when a request first logs (this scope's routes only).
  fastify.setChildLoggerFactory(lazyChildLogger);

  // Routes.
  await fastify.register(reputationRoutes, { kAnonymity: config.EDGE_K_ANONYMITY, ...(opts.batchSlices !== undefined ? { batchSlices: opts.batchSlices } : {}) });
  await fastify.register(filterRoutes);
}
