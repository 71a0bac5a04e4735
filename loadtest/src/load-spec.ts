import type { Latency } from './latency.ts';

/** One request of a scenario, built once and replayed in order by every connection. */
export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** What a generator process is told on its standard input. */
export interface LoadSpec {
  /** Origin, `http://127.0.0.1:port`. */
  url: string;
  connections: number;
  durationS: number;
  requests: RequestSpec[];
  headers: Record<string, string>;
  /** Requests per second for an open-loop phase; absent, the phase is closed-loop (as fast as answers come). */
  rate?: number;
}

/** What a generator process prints: one JSON line. */
export interface GeneratorResult {
  /** Answers per second over the phase (any status). */
  rps: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  latency: Latency;
  durationS: number;
  /** Open loop: requests that found no free connection at their scheduled time and waited for one. */
  queued?: number;
  /** Answers by HTTP status. */
  statuses?: Record<string, number>;
}
