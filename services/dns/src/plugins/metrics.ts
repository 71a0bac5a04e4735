import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';

/** Totals the query path bumps as plain numbers; the counters read them at scrape time. */
export interface DnsCounts {
  /** By `<rcode>|<transport>`. */
  answers: Map<string, number>;
  rateLimited: number;
  cacheHits: number;
  answerCacheHits: number;
  filterNegatives: number;
  redisRoundTrips: number;
}

export interface DnsMetrics {
  counts: DnsCounts;
  errors: Counter<'area'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    dnsMetrics: DnsMetrics;
  }
}

const RCODE_NAMES: Record<number, string> = { 0: 'noerror', 1: 'formerr', 2: 'servfail', 3: 'nxdomain', 4: 'notimp', 5: 'refused', 16: 'badvers' };

/** Name of a response code for the `rcode` label (bounded: the codes this service sends). */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? 'other';
}

// Counters the query path touches are plain numbers published at scrape time, as at the edge:
// a prom-client inc() hashes its label set on every call.
async function metricsPlugin(fastify: FastifyInstance): Promise<void> {
  const registers = [fastify.metrics];
  const counts: DnsCounts = { answers: new Map(), rateLimited: 0, cacheHits: 0, answerCacheHits: 0, filterNegatives: 0, redisRoundTrips: 0 };
  new Counter({
    name: 'repute_dns_answers_total',
    help: 'DNS answers sent, by response code and transport.',
    labelNames: ['rcode', 'transport'],
    registers,
    collect() {
      this.reset();
      for (const [id, n] of counts.answers) {
        const [rcode = '', transport = ''] = id.split('|');
        this.inc({ rcode, transport }, n);
      }
    },
  });
  const scraped = (name: string, help: string, read: () => number): void => {
    new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
  };
  scraped('repute_dns_rate_limited_total', 'Queries over their client’s rate limit (refused or dropped).', () => counts.rateLimited);
  scraped('repute_dns_cache_hits_total', 'Records answered from the in-process cache.', () => counts.cacheHits);
  scraped('repute_dns_answer_cache_hits_total', 'Queries answered with a cached encoded answer whose records had not changed.', () => counts.answerCacheHits);
  scraped('repute_dns_filter_negatives_total', 'Records ruled out by a bloom filter without asking Redis.', () => counts.filterNegatives);
  scraped('repute_dns_redis_round_trips_total', 'Redis reads made to answer queries (each a batch).', () => counts.redisRoundTrips);
  fastify.decorate('dnsMetrics', {
    counts,
    errors: new Counter({ name: 'repute_dns_errors_total', help: 'Errors by area (redis, stream, socket, record).', labelNames: ['area'], registers }),
  });
}

export default fp(metricsPlugin, { name: 'repute-dns-metrics', dependencies: ['repute-observability'] });
