import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { EdgeConfig } from '../config.ts';
import { LookupService } from '../lookup/lookup-service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    edgeLookup: LookupService;
  }
}

async function lookupPlugin(fastify: FastifyInstance, opts: { config: EdgeConfig }): Promise<void> {
  const m = fastify.edgeMetrics;
  const counts = m.counts;
  const redis = fastify.edgeRedis;
  fastify.decorate('edgeLookup', new LookupService({
    store: fastify.edgeStore,
    filters: fastify.edgeFilters,
    cache: fastify.edgeCache,
    overlays: fastify.edgeOverlays,
    redisReady: () => redis.status === 'ready',
    defaultTtl: opts.config.EDGE_DEFAULT_TTL_S,
    unknownTtl: opts.config.EDGE_UNKNOWN_TTL_S,
    hooks: {
      onFilterNegative: (kind, n) => { counts.filterNegatives[kind] = (counts.filterNegatives[kind] ?? 0) + n; },
      onCacheHit: (n) => { counts.cacheHits += n; },
      onRedisRoundTrip: () => { counts.redisRoundTrips++; },
      onRedisError: (err) => {
        m.errors.inc({ area: 'redis' });
        fastify.log.debug({ err }, 'redis read failed, answering degraded');
      },
    },
  }));
}

export default fp(lookupPlugin, { name: 'repute-edge-lookup', dependencies: ['repute-edge-updates'] });
