import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@repute/analytics';
import type { RedisClient } from '@repute/store';
import { REPORTER_SOURCE } from '@repute/verdicts';
import { estimateReliability, type ReliabilityOptions, type SourceReliability } from './estimate-reliability.ts';
import { estimateReporters } from './estimate-reporters.ts';
import { loadReliability, reliabilityField, reliabilityKey, saveReliability, type MeasuredRates } from './reliability-store.ts';

export interface ReliabilityLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ReliabilityJobOptions {
  clickhouse: ClickHouseClient;
  database: string;
  redis: RedisClient;
  prefix: string;
  /** Between two estimates. Default 10 minutes. */
  intervalMs?: number;
  priors: ReliabilityOptions['priors'];
  log: ReliabilityLog;
  /** Everything else the estimate takes (window, prior strength, families, thresholds). */
  estimate?: Omit<ReliabilityOptions, 'priors' | 'now'>;
  /** The clock the window ends at (a replay's). Default: `Date.now`. */
  clock?: () => number;
}

/** The measured rates in force and the loop that renews them. */
export interface ReliabilityJob {
  /** The rates in force by `<source>|<engine>`; a source absent here keeps its configured prior. */
  current(): ReadonlyMap<string, MeasuredRates>;
  /** Estimates now, saves and adopts the result; a failure is logged and the rates in force stay. */
  runOnce(): Promise<void>;
  /** Stops the loop and waits for a run under way. */
  close(): Promise<void>;
}

const DEFAULT_INTERVAL_MS = 600_000;

/**
 * A tenant's record as a reporter, kept beside the sources' rates (field `reporter|<tenant>`):
 * the share of its judged reports that others confirmed, and the counts it was measured on.
 */
function reporterEntry(r: { tenant: string; confirmed: number; contradicted: number }): SourceReliability {
  const judged = r.confirmed + r.contradicted;
  const share = judged === 0 ? 0.5 : r.confirmed / judged;
  return {
    source: REPORTER_SOURCE, engine: r.tenant,
    tpr: Math.min(0.999, Math.max(0.001, share)), fpr: Math.min(0.999, Math.max(0.001, 1 - share)),
    labelledMalicious: r.confirmed, labelledBenign: r.contradicted,
  };
}

/**
 * Loads the saved rates, then renews them every `intervalMs`. Of several correlators sharing the
 * Redis prefix, the one that takes the round's lock estimates and saves; the others adopt what
 * was saved, so every instance scores with the same rates and ClickHouse runs one estimate a
 * round, not one per instance. When nothing was saved yet, the first estimate runs at once.
 * Errors are logged, never thrown: the last good rates (or none, and so the priors) stay in force.
 */
export async function startReliabilityJob(options: ReliabilityJobOptions): Promise<ReliabilityJob> {
  const { clickhouse, database, redis, prefix, log } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const clock = options.clock ?? Date.now;
  const lockKey = `${reliabilityKey(prefix)}:lock`;
  const owner = randomUUID();
  let rates: ReadonlyMap<string, MeasuredRates> = new Map();
  // Counts the estimates adopted, so a reload that read Redis before one was saved does not
  // replace it with the older rates when its answer comes in after.
  let adopted = 0;
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const reload = async () => {
    const before = adopted;
    try {
      const saved = await loadReliability(redis, prefix);
      if (adopted === before) rates = saved;
    } catch (err) {
      log.error({ err }, 'saved source reliability not loaded; keeping the rates in force');
    }
  };

  const estimate = async () => {
    const started = performance.now();
    let estimates;
    try {
      const now = clock();
      estimates = [
        ...await estimateReliability(clickhouse, database, { ...options.estimate, priors: options.priors, now }),
        ...(await estimateReporters(clickhouse, database, { ...options.estimate, now })).map(reporterEntry),
      ];
    } catch (err) {
      log.error({ err }, 'source reliability estimate failed; keeping the rates in force');
      return;
    }
    rates = new Map(estimates.map((e) => [reliabilityField(e.source, e.engine), { tpr: e.tpr, fpr: e.fpr, labelledMalicious: e.labelledMalicious, labelledBenign: e.labelledBenign }]));
    adopted += 1;
    log.info({ sources: estimates.length, ms: Math.round(performance.now() - started) }, 'source reliability estimated');
    try {
      await saveReliability(redis, prefix, estimates, clock());
    } catch (err) {
      // This instance uses the new rates; the others keep the saved ones until the next round.
      log.error({ err }, 'source reliability estimated but not saved');
    }
  };

  const runOnce = () => {
    running ??= estimate().finally(() => {
      running = undefined;
    });
    return running;
  };

  // The lock lives a little less than a round, so the holder takes it again on its next tick
  // and a holder that died is replaced a round later.
  const tick = async () => {
    try {
      const won = await redis.set(lockKey, owner, 'PX', Math.max(1, Math.floor(intervalMs * 0.9)), 'NX');
      await (won === 'OK' ? runOnce() : reload());
    } catch (err) {
      log.error({ err }, 'source reliability round failed; keeping the rates in force');
    }
  };

  let ticking: Promise<void> = Promise.resolve();
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick().finally(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  };

  await reload();
  schedule(rates.size === 0 ? 0 : intervalMs);

  return {
    current: () => rates,
    runOnce,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await running;
    },
  };
}
