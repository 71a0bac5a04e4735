import type { IndicatorSets } from './indicators.ts';
import type { Target } from './target.ts';

/** Phase lengths: a full run stays under about five minutes on 2 cores, `--quick` under two. */
export interface Durations {
  closedS: number;
  openS: number;
  /** hello-world / single-lookup pairs; the median pair decides the ratio. */
  pairs: number;
  ingestS: number;
  freshnessS: number;
  idleProbes: number;
  drainS: number;
}

export const FULL: Durations = { closedS: 8, openS: 10, pairs: 3, ingestS: 8, freshnessS: 20, idleProbes: 20, drainS: 90 };
export const QUICK: Durations = { closedS: 3, openS: 4, pairs: 1, ingestS: 3, freshnessS: 8, idleProbes: 8, drainS: 30 };

/** A stretch of time on the system under test, in the monotonic clock V8's CPU profiles use (µs). */
export interface Window { scenario: string; name: string; startUs: number; endUs: number }

export interface RunContext {
  target: Target;
  sets: IndicatorSets;
  durations: Durations;
  say: (line: string) => void;
  windows: Window[];
}

export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Runs `fn` and records its time window under `scenario`. */
export async function timed<T>(ctx: RunContext, scenario: string, name: string, fn: () => Promise<T>): Promise<T> {
  const startUs = monotonicUs();
  try {
    return await fn();
  } finally {
    ctx.windows.push({ scenario, name, startUs, endUs: monotonicUs() });
  }
}
