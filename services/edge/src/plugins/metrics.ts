import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, type Metric } from 'prom-client';
import { LatencyHistogram } from '@repute/http';

/** Totals the lookup path bumps as plain numbers; the counters read them at scrape time. */
export interface EdgeCounts {
  filterNegatives: Record<string, number>;
  cacheHits: number;
  redisRoundTrips: number;
  degradedAnswers: number;
}

/** Observes one lookup's duration (bound to a kind and outcome). */
export interface LookupTimer {
  observe(seconds: number): void;
}

/** The edge's metrics (bounded labels: kind, outcome, area). */
export interface EdgeMetrics {
  /** The timer of a kind and outcome, resolved once per combination. */
  lookupTimer(kind: string, outcome: string): LookupTimer;
  observeLookup(kind: string, outcome: string, seconds: number): void;
  counts: EdgeCounts;
  errors: Counter<'area'>;
  filterEntries: Gauge<'kind'>;
  filterStaleEntries: Gauge<'kind'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    edgeMetrics: EdgeMetrics;
  }
}

const KINDS = ['file', 'url', 'domain', 'ip', 'email'];

// Counters the lookup path touches are plain numbers published at scrape time: a prom-client
// inc() hashes its label set on every call, which costs more than a bloom probe.
function scrapedCounter(registers: NonNullable<ConstructorParameters<typeof Counter>[0]['registers']>, name: string, help: string, read: () => number): void {
  new Counter({
    name, help, registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

async function metricsPlugin(fastify: FastifyInstance): Promise<void> {
  const registers = [fastify.metrics];
  const lookups = new LatencyHistogram({
    name: 'repute_edge_lookup_duration_seconds',
    help: 'Time to answer one indicator, by kind and outcome (verdict, invalid or degraded).',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
  });
  fastify.metrics.registerMetric(lookups as unknown as Metric);
  const timers = new Map<string, LookupTimer>();
  const lookupTimer = (kind: string, outcome: string): LookupTimer => {
    const id = `${kind}|${outcome}`;
    let timer = timers.get(id);
    if (timer === undefined) timers.set(id, (timer = lookups.child({ kind, outcome })));
    return timer;
  };

  const counts: EdgeCounts = { filterNegatives: Object.fromEntries(KINDS.map((k) => [k, 0])), cacheHits: 0, redisRoundTrips: 0, degradedAnswers: 0 };
  new Counter({
    name: 'repute_edge_filter_negatives_total',
    help: 'Records ruled out by the bloom filter without asking Redis.',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(counts.filterNegatives)) this.inc({ kind }, n);
    },
  });
  scrapedCounter(registers, 'repute_edge_cache_hits_total', 'Records answered from the in-process cache.', () => counts.cacheHits);
  scrapedCounter(registers, 'repute_edge_redis_round_trips_total', 'Redis round trips made to answer lookups.', () => counts.redisRoundTrips);
  scrapedCounter(registers, 'repute_edge_degraded_answers_total', 'Answers given without Redis (from cache and filters only).', () => counts.degradedAnswers);

  fastify.decorate('edgeMetrics', {
    lookupTimer,
    observeLookup(kind: string, outcome: string, seconds: number) {
      lookupTimer(kind, outcome).observe(seconds);
    },
    counts,
    errors: new Counter({ name: 'repute_edge_errors_total', help: 'Errors by area (redis, stream, filters, record).', labelNames: ['area'], registers }),
    filterEntries: new Gauge({ name: 'repute_edge_filter_entries', help: 'Digests added to each bloom filter.', labelNames: ['kind'], registers }),
    filterStaleEntries: new Gauge({ name: 'repute_edge_filter_stale_entries', help: 'Removed records whose bits stay set until the next rebuild.', labelNames: ['kind'], registers }),
  });
}

export default fp(metricsPlugin, { name: 'repute-edge-metrics', dependencies: ['repute-observability'] });
