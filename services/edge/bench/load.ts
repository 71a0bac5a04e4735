import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/**
 * What a generator process reads on its standard input: the contract of the load test's
 * net-socket generator (loadtest/src/load-worker.ts), which this autocannon worker also takes.
 */
export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  requests: { method: 'GET' | 'POST'; path: string; body?: string }[];
  headers: Record<string, string>;
  /** Requests per second (open loop); absent, closed loop. The autocannon worker has none. */
  rate?: number;
}

/** The part of a generator's one-line JSON answer the benchmark reads. */
export interface LoadResult {
  rps: number;
  non2xx: number;
  errors: number;
  latency: { p50: number; p99: number; max: number };
  durationS?: number;
}

// The earlier generator of this benchmark, kept to compare with figures measured with it
// (BENCH_GENERATOR=autocannon). autocannon builds the request buffers once per connection, so
// a 10,000-path mix costs it more per request than hello-world's one path: against the same
// hello-world, 10,000 paths reached 0.5-0.9x the rate of one (measured on the 2-core box).
// Workers stay off: on 2 cores more generator threads only steal CPU from the server.
const spec = JSON.parse(readFileSync(0, 'utf8')) as LoadSpec;
if (spec.rate !== undefined) throw new Error('the autocannon worker runs closed loop only');
const requests = spec.requests.map((r) => ({
  method: r.method,
  path: r.path,
  ...(r.body !== undefined ? { body: r.body, headers: { ...spec.headers, 'content-type': 'application/json' } } : {}),
}));
const result = await autocannon({ url: spec.url, connections: spec.connections, duration: spec.durationS, headers: spec.headers, requests });
const out: LoadResult = {
  rps: result.requests.average,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
};
process.stdout.write(`${JSON.stringify(out)}\n`);
