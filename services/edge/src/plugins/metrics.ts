import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram } from 'prom-client';

/** The edge's metrics (bounded labels: kind, outcome, area). */
export interface EdgeMetrics {
  observeLookup(kind: string, outcome: string, seconds: number): void;
  filterNegatives: Counter<'kind'>;
  cacheHits: Counter;
  redisRoundTrips: Counter;
  errors: Counter<'area'>;
  degradedAnswers: Counter;
  filterEntries: Gauge<'kind'>;
  filterStaleEntries: Gauge<'kind'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    edgeMetrics: EdgeMetrics;
  }
}

async function metricsPlugin(fastify: FastifyInstance): Promise<void> {
  const registers = [fastify.metrics];
  const lookups = new Histogram({
    name: 'repute_edge_lookup_duration_seconds',
    help: 'Time to answer one indicator, by kind and outcome (verdict, invalid or degraded).',
    labelNames: ['kind', 'outcome'],
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
    registers,
  });
  // Pre-resolved children: hashing a label object on every lookup costs more than the lookup.
  const children = new Map<string, ReturnType<typeof lookups.labels>>();
  fastify.decorate('edgeMetrics', {
    observeLookup(kind: string, outcome: string, seconds: number) {
      const id = `${kind}|${outcome}`;
      let child = children.get(id);
      if (child === undefined) children.set(id, (child = lookups.labels(kind, outcome)));
      child.observe(seconds);
    },
    filterNegatives: new Counter({ name: 'repute_edge_filter_negatives_total', help: 'Records ruled out by the bloom filter without asking Redis.', labelNames: ['kind'], registers }),
    cacheHits: new Counter({ name: 'repute_edge_cache_hits_total', help: 'Records answered from the in-process cache.', registers }),
    redisRoundTrips: new Counter({ name: 'repute_edge_redis_round_trips_total', help: 'Redis round trips made to answer lookups.', registers }),
    errors: new Counter({ name: 'repute_edge_errors_total', help: 'Errors by area (redis, stream, filters, record).', labelNames: ['area'], registers }),
    degradedAnswers: new Counter({ name: 'repute_edge_degraded_answers_total', help: 'Answers given without Redis (from cache and filters only).', registers }),
    filterEntries: new Gauge({ name: 'repute_edge_filter_entries', help: 'Digests added to each bloom filter.', labelNames: ['kind'], registers }),
    filterStaleEntries: new Gauge({ name: 'repute_edge_filter_stale_entries', help: 'Removed records whose bits stay set until the next rebuild.', labelNames: ['kind'], registers }),
  });
}

export default fp(metricsPlugin, { name: 'repute-edge-metrics', dependencies: ['repute-observability'] });
