import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Latency percentiles of one phase, in milliseconds. */
export interface Latency {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/**
 * A latency recorder in microseconds. The generators' own histograms keep whole milliseconds
 * (autocannon), which cannot tell 2 ms from 5 ms at the percentiles the goals name; node's
 * native HDR histogram records each sample for a few nanoseconds of CPU.
 */
export function createLatencyRecorder(): { record(ms: number): void; summary(): Latency; histogram: RecordableHistogram } {
  const histogram = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
  return {
    histogram,
    record(ms) {
      histogram.record(Math.max(1, Math.round(ms * 1000)));
    },
    summary() {
      const at = (p: number): number => (histogram.count === 0 ? 0 : Math.round(histogram.percentile(p)) / 1000);
      return { p50: at(50), p90: at(90), p95: at(95), p99: at(99), p999: at(99.9), max: histogram.count === 0 ? 0 : histogram.max / 1000, mean: histogram.count === 0 ? 0 : Math.round(histogram.mean) / 1000 };
    },
  };
}

/** Percentiles of a small sample (freshness probes), nearest-rank. */
export function percentiles(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => (s.length === 0 ? 0 : Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 100) / 100);
  const mean = s.length === 0 ? 0 : s.reduce((a, b) => a + b, 0) / s.length;
  return { p50: at(50), p90: at(90), p95: at(95), p99: at(99), p999: at(99.9), max: at(100), mean: Math.round(mean * 100) / 100 };
}
