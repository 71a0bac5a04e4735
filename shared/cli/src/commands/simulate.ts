import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createKeyStore, type KeyStore } from '@repute/auth';
import { createBus } from '@repute/bus';
import { generateScenario, runSimulation, renderText, type ScenarioOptions, type SimulationReport } from '@repute/simulator';
import { apiUrlOf } from '../cli-config.ts';
import { EXIT, usageError } from '../cli-error.ts';
import { emit, withRedis, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';
import { EVENTS_TOLERANCE, sizeSimulation } from '../simulation-size.ts';

/** Flags of `repute simulate`, as commander hands them over (strings). */
export interface SimulateOptions {
  url?: string;
  seed: string;
  tenants: string;
  sensors: string;
  campaigns: string;
  duration: string;
  events?: string;
  speedup?: string;
  out?: string;
  data?: string;
  generated?: boolean;
  timeout: string;
  quietMs: string;
  minPrecision: string;
  minRecall: string;
}

/** What `--strict` compares, with the bound and the measured value. */
export interface QualityCheck {
  name: string;
  measured: number | null;
  bound: number;
  ok: boolean;
}

// The minted keys only live for the run; a rate limit far above what one run sends keeps the
// edge's per-key limiter (meant for agents) from throttling the scorer's polling.
const SIMULATION_RATE_LIMIT = 1_000_000;

function number(name: string, raw: string, check: (n: number) => boolean, expected: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw usageError(`${name} must be ${expected}, got ${raw}`);
  return n;
}
const count = (name: string, raw: string): number => number(name, raw, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
const positive = (name: string, raw: string): number => number(name, raw, (n) => n > 0, 'a positive number');
const fraction = (name: string, raw: string): number => number(name, raw, (n) => n >= 0 && n <= 1, 'between 0 and 1');

/**
 * The bounds `--strict` holds a run to: precision of `malicious` over every kind the edge
 * serves (a false conviction blocks something benign), and recall of `malicious` or
 * `suspicious` over every kind (gateways act on both; per-kind recall of hosting IPs is out of
 * the correlator's reach by design, see the simulator's README).
 */
export function qualityChecks(report: SimulationReport, minPrecision: number, minRecall: number): QualityCheck[] {
  const all = report.evaluation.kinds.all;
  const precision = all.strict.precision;
  const recall = all.severe.recall;
  return [
    { name: 'precision (malicious, all kinds)', measured: precision, bound: minPrecision, ok: precision === null || precision >= minPrecision },
    { name: 'recall (malicious or suspicious, all kinds)', measured: recall, bound: minRecall, ok: recall !== null && recall >= minRecall },
  ];
}

/** Mints one ingest key per simulated tenant and a lookup key; `revoke` removes them all. */
async function mintKeys(keys: KeyStore, seed: number, tenants: number): Promise<{ lookup: string; ingest: string[]; ids: string[] }> {
  const ids: string[] = [];
  try {
    // Tenant names carry the seed so that records' prevalence by tenant stays readable in the
    // analyst API after several runs; each run still gets fresh keys.
    const ingest: string[] = [];
    for (let i = 0; i < tenants; i++) {
      const created = await keys.create({ tenant: `sim-${seed}-t${i + 1}`, scopes: ['ingest'], rateLimitPerMinute: SIMULATION_RATE_LIMIT });
      ids.push(created.id);
      ingest.push(created.key);
    }
    const lookup = await keys.create({ tenant: `sim-${seed}-scorer`, scopes: ['lookup'], rateLimitPerMinute: SIMULATION_RATE_LIMIT });
    ids.push(lookup.id);
    return { lookup: lookup.key, ingest, ids };
  } catch (err) {
    await Promise.allSettled(ids.map((id) => keys.revoke(id)));
    throw err;
  }
}

/**
 * The simulator's `events` option (and the window's end, which the count was taken for) that
 * makes the scenario about `target` events in all; a target below what the fleet and its
 * campaigns send at the least is a usage error naming that floor.
 */
function sizeEvents(scenario: ScenarioOptions, target: number): { events: number; now: number } {
  const now = Date.now();
  // The simulator's own lower bound on its scale of benign activity: 6 events per sensor.
  const smallest = Math.max(scenario.tenants ?? 1, scenario.sensors ?? 1) * 6;
  const size = sizeSimulation(target, smallest, (events) => generateScenario({ ...scenario, events, now }).events.length);
  if ('floor' in size) {
    throw usageError(`--events ${target}: the smallest run of ${scenario.sensors} sensors and ${scenario.campaigns} campaigns over ${(scenario.durationMs ?? 0) / 3_600_000} h sends about ${size.floor} events; ask for at least ${Math.ceil(size.floor / (1 + EVENTS_TOLERANCE))}, or lower --sensors or --campaigns`);
  }
  return { events: size.events, now };
}

/**
 * `simulate`: runs the seeded sensor-fleet simulation against the running deployment through
 * its public APIs, prints the quality table (or the report with --json), and writes
 * report.json, report.txt and quality.svg to --out.
 */
export async function simulate(ctx: CommandContext, options: SimulateOptions): Promise<number> {
  const seed = number('--seed', options.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
  const tenants = count('--tenants', options.tenants);
  const sensors = count('--sensors', options.sensors);
  const campaigns = count('--campaigns', options.campaigns);
  const hours = positive('--duration', options.duration);
  const events = options.events === undefined ? undefined : count('--events', options.events);
  const speedup = options.speedup === undefined ? undefined : positive('--speedup', options.speedup);
  const timeoutMs = positive('--timeout', options.timeout) * 1000;
  const quietMs = positive('--quiet-ms', options.quietMs);
  const minPrecision = fraction('--min-precision', options.minPrecision);
  const minRecall = fraction('--min-recall', options.minRecall);
  if (options.generated === true && options.data !== undefined) throw usageError('--data and --generated exclude each other');
  // A folder asked for by name and missing (or not the lists) must not quietly become generated data.
  if (options.data !== undefined && !existsSync(join(resolve(options.data), 'SOURCES.md'))) {
    throw usageError(`--data ${options.data}: no indicator lists there (expected SOURCES.md and the lists beside it); leave --data out or pass --generated for generated indicators`);
  }
  const outDir = resolve(options.out ?? join(ctx.config.REPUTE_DATA_DIR, 'simulation'));
  const base = apiUrlOf(ctx.config, options.url);
  const config = ctx.config;
  const scenario: ScenarioOptions = {
    seed, tenants, sensors, campaigns,
    durationMs: hours * 3_600_000,
    ...(options.generated === true ? { dataDir: null } : options.data !== undefined ? { dataDir: resolve(options.data) } : {}),
  };
  const sized = events === undefined ? undefined : sizeEvents(scenario, events);

  const report = await withRedis(config, async (redis, redisUrl) => {
    const keys = createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX });
    const minted = await mintKeys(keys, seed, tenants);
    // The correlator's consumer lag, read from the broker as `status` does: settling waits for
    // it to reach 0 before it watches verdicts, so a slow correlator is not mistaken for a settled one.
    const bus = createBus({ ...config, REDIS_URL: redisUrl });
    const progress = createProgress({ force: ctx.progress, unit: 'events' });
    let started = false;
    let barShown = false;
    const say = (line: string): void => {
      // While the bar shows, it is the progress; the round counts would only break it.
      if (barShown) return;
      process.stderr.write(`simulate: ${line}\n`);
    };
    try {
      return await runSimulation({
        url: base,
        key: minted.lookup,
        ingestKeys: minted.ingest,
        ...scenario,
        ...sized,
        ...(speedup !== undefined ? { speedup } : {}),
        lag: () => bus.lag(config.TELEMETRY_TOPIC, config.CORRELATOR_GROUP),
        settle: { quietMs, timeoutMs },
        outDir,
        log: (line) => {
          say(line);
          if (/^sent \d+ accepted/.test(line)) say('settling: waiting for the correlator to catch up and verdicts to stay unchanged');
        },
        onSent: (sent, total) => {
          if (!started) {
            started = true;
            progress.start(total, 'simulate');
            barShown = ctx.progress || process.stderr.isTTY === true;
          }
          progress.update(sent);
          if (sent >= total) {
            progress.stop();
            barShown = false;
          }
        },
      });
    } finally {
      progress.stop();
      await bus.close().catch(() => undefined);
      // The keys were for this run only; revoking them leaves `keys list` as it was.
      await Promise.allSettled(minted.ids.map((id) => keys.revoke(id)));
    }
  });

  const checks = qualityChecks(report, minPrecision, minRecall);
  const failed = checks.filter((c) => !c.ok);
  emit(ctx, { ...report, checks }, () => {
    const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
    const lines = checks.map((c) => `${c.ok ? 'ok  ' : 'LOW '} ${c.name} ${pct(c.measured)} (bound ${pct(c.bound)})`);
    return `${renderText(report)}${lines.join('\n')}\nwrote ${report.files.json}, ${report.files.text}, ${report.files.svg}\n`;
  });
  if (!report.settle.settled) process.stderr.write(`simulate: verdicts did not settle within ${timeoutMs / 1000} s; the figures may move (--timeout)\n`);
  return ctx.strict && failed.length > 0 ? EXIT.partial : EXIT.ok;
}
