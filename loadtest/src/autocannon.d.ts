// The subset of autocannon's API the load tests use (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  interface Histogram { average: number; p50: number; p99: number }
  interface Result { requests: Histogram; latency: Histogram; errors: number; timeouts: number; non2xx: number; '2xx': number; duration: number }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    headers?: Record<string, string>;
    requests?: { method?: string; path?: string; body?: string }[];
  }
  interface Instance extends EventEmitter {
    stop(): void;
  }
  export default function autocannon(options: Options, done: (err: Error | null, result: Result) => void): Instance;
}
