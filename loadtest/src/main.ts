import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisGetBaseline } from './baselines.ts';
import { FULL, QUICK, type RunContext } from './context.ts';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './flame-graph.ts';
import { loadIndicators } from './indicators.ts';
import { parseOptions } from './options.ts';
import { writeReport } from './report.ts';
import { round } from './run-phase.ts';
import { freshnessScenario } from './scenarios/freshness.ts';
import { ingestScenario } from './scenarios/ingest.ts';
import { LOOKUP_CONNECTIONS, lookupScenario } from './scenarios/lookups.ts';
import { checkSeeds, seedRecords } from './seed.ts';
import { externalTarget, startLauncher, type Target } from './target.ts';
import { check, errorRate, type Threshold } from './thresholds.ts';

// `npm run loadtest`: the whole system on loopback, every phase bounded in time, baselines in
// the same run. Exit 1 names each broken threshold; 2 is a run that could not be made.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const options = parseOptions(process.argv.slice(2), join(repoRoot, 'bench-results', 'loadtest'));
const durations = options.quick ? QUICK : FULL;
const t0 = performance.now();
const say = (line: string): void => { process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}\n`); };
const run = `lt${Date.now().toString(36)}`;
mkdirSync(options.out, { recursive: true });
const profileDir = join(options.out, 'profile');
if (options.profile) {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
}

const sets = loadIndicators(join(repoRoot, '..', 'shared', 'data'), 4000);
let target: Target | undefined;
try {
  target = options.url !== undefined ? externalTarget(options.url, options.key!) : await startLauncher({ repoRoot, say, ...(options.profile ? { cpuProfileDir: profileDir } : {}) });
  let seeded = { records: 0, seconds: 0 };
  if (target.dataDir !== undefined) {
    seeded = await seedRecords(repoRoot, target.dataDir, sets);
    say(`seeded ${seeded.records} records (repute import) in ${seeded.seconds.toFixed(1)} s`);
  } else say('--url: records not seeded; the malicious and clean shares answer what the target holds');
  const sample = [...sets.malicious.filter((_, i) => i % 97 === 0), ...sets.clean.filter((_, i) => i % 97 === 0), ...sets.unknown.filter((_, i) => i % 197 === 0)];
  const seedCheck = await checkSeeds(target.url, target.key, sample);

  const ctx: RunContext = { target, sets, durations, say, windows: [] };
  say(`lookups: ${durations.closedS} s closed-loop and ${durations.openS} s constant-rate phases, ${LOOKUP_CONNECTIONS} connections, ${cpus().length} cores shared by everything`);
  const lookups = await lookupScenario(ctx);
  const redis = await redisGetBaseline(target.redisUrl, LOOKUP_CONNECTIONS, options.quick ? 100_000 : 300_000);
  say(`  redis-benchmark -t get -c ${LOOKUP_CONNECTIONS} (${redis.server}): ${redis.ops} ops/s`);
  say('ingest:');
  const ingest = await ingestScenario(ctx, run);
  say('freshness:');
  const freshness = await freshnessScenario(ctx, run, ingest.sustainedPerS);
  const windows = ctx.windows;
  await target.stop();
  target = undefined;

  let profiles: Record<string, ProfileSummary> | undefined;
  if (options.profile) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) say('no CPU profile was written');
    else {
      const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
      const named = (prefix: string) => windows.filter((w) => w.name.startsWith(prefix));
      // The launcher's samples inside each scenario's phases (the hello-world phases run in
      // another process and are left out).
      profiles = {
        'lookup-single': summarizeProfile(profile, 'launcher CPU, single lookups (max and ½ max phases)', repoRoot, named('single')),
        'lookup-batch': summarizeProfile(profile, 'launcher CPU, batch lookups of 100 (max and ½ max phases)', repoRoot, named('batch')),
        ingest: summarizeProfile(profile, 'launcher CPU, ingest at its maximum and the correlator draining it', repoRoot, [...named('ingest max'), ...named('drain')]),
      };
      for (const [name, p] of Object.entries(profiles)) {
        writeFileSync(join(options.out, `flame-${name}.svg`), p.svg);
        say(`profile ${name}: ${p.samples} samples, top self: ${p.topSelf.slice(0, 5).map((t) => `${t.name} ${t.share}%`).join('; ')}`);
      }
    }
  }

  const thresholds: Threshold[] = [
    { name: 'lookup_single_p95_ms_half_load', what: 'single lookups at ½ max, constant rate: p95', value: lookups.singleHalf.latency.p95, limit: 3, kind: 'max' },
    { name: 'lookup_single_p99_ms_half_load', what: 'single lookups at ½ max, constant rate: p99', value: lookups.singleHalf.latency.p99, limit: 5, kind: 'max' },
    { name: 'lookup_batch_p99_ms_half_load', what: 'batches of 100 at ½ max, constant rate: p99', value: lookups.batchHalf.latency.p99, limit: 50, kind: 'max' },
    { name: 'lookup_error_rate', what: 'lookups answered with an error or not at all, every lookup phase', value: errorRate(sum(lookups.phases.filter((p) => p.scenario.startsWith('lookup')))), limit: 0.001, kind: 'max' },
    { name: 'lookup_vs_hello', what: 'single-lookup max req/s over the Fastify hello-world (median pair)', value: round(lookups.singleMax.rps / lookups.hello.rps, 3), limit: 0.8, kind: 'min' },
    { name: 'ingest_p99_ms_half_load', what: 'telemetry posts of 100 events at ½ sustained rate: p99', value: freshness.loaded.ingest.latency.p99, limit: 50, kind: 'max' },
    { name: 'ingest_error_rate', what: 'telemetry posts not accepted (any ingest phase)', value: errorRate(sum([ingest.max, freshness.loaded.ingest])), limit: 0.001, kind: 'max' },
    { name: 'freshness_p99_ms', what: 'deciding evidence posted → edge answers malicious, p99, ingest at ½ sustained rate', value: freshness.loaded.latency.p99, limit: 250, kind: 'max' },
    { name: 'freshness_timeouts', what: 'probes the edge never turned within 10 s', value: freshness.loaded.timeouts + freshness.idle.timeouts, limit: 0, kind: 'max' },
  ];
  const verdicts = check(thresholds);
  const results = {
    at: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version, target: options.url ?? 'launcher started by the run' },
    figures: {
      lookup_rps: Math.round(lookups.singleMax.rps),
      lookup_p99_ms_max: lookups.singleMax.latency.p99,
      lookup_p50_ms_half_load: lookups.singleHalf.latency.p50,
      lookup_p95_ms_half_load: lookups.singleHalf.latency.p95,
      lookup_p99_ms_half_load: lookups.singleHalf.latency.p99,
      lookup_server_cores: lookups.singleMax.serverCores ?? null,
      batch_rps: Math.round(lookups.batchMax.rps),
      batch_indicators_per_s: Math.round(lookups.batchMax.rps * 100),
      batch_p99_ms_half_load: lookups.batchHalf.latency.p99,
      ingest_events_per_s: Math.round(ingest.acceptedPerS),
      ingest_sustained_events_per_s: Math.round(ingest.sustainedPerS),
      ingest_drained: ingest.drained,
      ingest_p99_ms_half_load: freshness.loaded.ingest.latency.p99,
      freshness_events_per_s: Math.round(freshness.loaded.eventsPerS),
      freshness_p50_ms: freshness.loaded.latency.p50,
      freshness_p99_ms: freshness.loaded.latency.p99,
      freshness_idle_p50_ms: freshness.idle.latency.p50,
      freshness_idle_p99_ms: freshness.idle.latency.p99,
      records_seeded: seeded.records,
    },
    baseline: { hello_rps: Math.round(lookups.hello.rps), hello_p99_ms: lookups.hello.latency.p99, redis_get_ops: redis.ops, redis_server: redis.server },
    ratios: {
      lookup_vs_hello: round(lookups.singleMax.rps / lookups.hello.rps, 3),
      lookup_vs_hello_pairs: lookups.pairRatios,
      lookup_vs_redis_get: redis.ops > 0 ? round(lookups.singleMax.rps / redis.ops, 3) : null,
      batch_indicators_vs_single: round((lookups.batchMax.rps * 100) / lookups.singleMax.rps, 2),
      ingest_sustained_vs_accepted: round(ingest.sustainedPerS / ingest.acceptedPerS, 3),
    },
    mix: lookups.mix,
    seed_check: seedCheck,
    sources: sets.sources,
    thresholds: verdicts,
    phases: [...lookups.phases, ingest.max, freshness.loaded.ingest],
    freshness_samples_ms: { idle: freshness.idle.samples.map((s) => round(s, 2)), loaded: freshness.loaded.samples.map((s) => round(s, 2)) },
    profile: profiles === undefined ? null : Object.fromEntries(Object.entries(profiles).map(([k, p]) => [k, { samples: p.samples, busy_share: p.busyShare, top_self: p.topSelf, longest_runs: p.longestRuns }])),
    // Phase windows on the monotonic clock of V8's profiles, to re-slice a saved profile.
    windows,
    duration_s: Math.round((performance.now() - t0) / 1000),
  };
  writeFileSync(join(repoRoot, 'bench-results', 'loadtest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeReport(options.out, results, { lookups, ingest, freshness, profiles });
  say(`wrote ${join(options.out, 'report.md')} and bench-results/loadtest.json`);
  say(`lookup ${results.figures.lookup_rps} req/s (${results.ratios.lookup_vs_hello}× hello ${results.baseline.hello_rps}), p99 ${results.figures.lookup_p99_ms_half_load} ms at half; ingest ${results.figures.ingest_events_per_s} events/s accepted, ${results.figures.ingest_sustained_events_per_s} sustained; freshness p99 ${results.figures.freshness_p99_ms} ms`);
  const failed = verdicts.filter((v) => !v.ok);
  for (const v of verdicts) say(`${v.ok ? 'ok  ' : 'FAIL'} ${v.name}: ${v.value} (${v.kind === 'max' ? '≤' : '≥'} ${v.limit})`);
  if (failed.length > 0) {
    process.stderr.write(`loadtest: thresholds broken: ${failed.map((v) => v.name).join(', ')}\n`);
    process.exitCode = 1;
  }
} catch (err) {
  process.stderr.write(`loadtest: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 2;
} finally {
  await target?.stop();
}

function sum(phases: { ok: number; non2xx: number; errors: number }[]): { ok: number; non2xx: number; errors: number } {
  return phases.reduce((a, p) => ({ ok: a.ok + p.ok, non2xx: a.non2xx + p.non2xx, errors: a.errors + p.errors }), { ok: 0, non2xx: 0, errors: 0 });
}
