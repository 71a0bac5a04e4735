import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { buildQualityBench, createVirtualClock, generateScenario, renderQualityTable, runQualityReplay, scoreSeed, type SeedQuality } from '@repute/simulator';
import { startDeployment } from './deployment.ts';
import { generateIndependentScenario } from './independent/index.ts';
import { writeTrace } from './trace.ts';

// The quality bench: the labelled hard-case scenario of each seed replayed through the real
// path (HTTP ingest -> Redis Streams bus -> correlator -> edge HTTP lookups) on a fresh
// deployment, verdicts scored at checkpoints over the simulated week and at the end, against a
// naive reference scorer computed from the same scenario. Redis comes from
// REPUTE_TEST_REDIS_URL when set (`with-services`), otherwise a private redis-server is started.
const USAGE = `usage: npm run bench:quality -- [--seeds 1,2] [--tenants 14] [--sensors 500] [--campaigns 40]
  [--phishing 60] [--days 7] [--checkpoint-hours 6] [--events N] [--generated | --data <dir>]
  [--scenario hard-cases|independent] [--out bench-results/quality.json] [--strict] [--trace <dir>]
  [--policy <file>]

--scenario independent replays the scenario of quality/independent/ instead of the simulator's
  hard cases: written from the event format and the hard cases alone, by someone who had not
  read the scorer (--tenants, --sensors, --campaigns, --phishing and --data do not apply to it).
  Its figures go to bench-results/quality-independent.json unless --out says otherwise.
--strict exits 1 when a goal is missed (the run itself always writes its figures).
--trace writes, per seed, the scenario and every verdict at every checkpoint to <dir>/seed-<n>.json,
  for tracing a mistake back to the events behind it.
--policy scores with that policy file instead of the shipped one (CORRELATOR_POLICY_FILE), to
  measure a policy change before shipping it.`;

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2' },
    tenants: { type: 'string', default: '14' },
    sensors: { type: 'string', default: '500' },
    campaigns: { type: 'string', default: '40' },
    phishing: { type: 'string', default: '60' },
    days: { type: 'string', default: '7' },
    'checkpoint-hours': { type: 'string', default: '6' },
    events: { type: 'string' },
    generated: { type: 'boolean', default: false },
    data: { type: 'string' },
    out: { type: 'string' },
    strict: { type: 'boolean', default: false },
    trace: { type: 'string' },
    policy: { type: 'string' },
    scenario: { type: 'string', default: 'hard-cases' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const number = (name: string, raw: string): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive number\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
};
if (values.scenario !== 'hard-cases' && values.scenario !== 'independent') {
  process.stderr.write(`--scenario must be hard-cases or independent\n${USAGE}\n`);
  process.exit(2);
}
const independent = values.scenario === 'independent';
const seeds = values.seeds.split(',').map((s) => number('seeds', s.trim()));
const DAY = 86_400_000;
const options = {
  tenants: number('tenants', values.tenants),
  sensors: number('sensors', values.sensors),
  campaigns: number('campaigns', values.campaigns),
  durationMs: number('days', values.days) * DAY,
  ...(values.events !== undefined ? { events: number('events', values.events) } : {}),
  ...(values.generated ? { dataDir: null } : values.data !== undefined ? { dataDir: values.data } : {}),
  hardCases: { phishingCampaigns: number('phishing', values.phishing) },
};
const checkpointMs = number('checkpoint-hours', values['checkpoint-hours']) * 3_600_000;
// Default: the repository root's bench-results/. A relative --out is taken from where npm was
// invoked (INIT_CWD), not from the workspace folder npm runs the script in.
const out = values.out !== undefined ? resolve(process.env['INIT_CWD'] ?? process.cwd(), values.out) : new URL(`../../bench-results/${independent ? 'quality-independent' : 'quality'}.json`, import.meta.url).pathname;
const log = (line: string) => process.stderr.write(`[quality] ${line}\n`);

const results: SeedQuality[] = [];
for (const seed of seeds) {
  // The simulated week starts now, so that no event is older than ingest accepts and nothing
  // the pipeline writes with an expiry (deduplication sets) is dated in the past.
  const start = Date.now();
  const scenario = independent
    ? generateIndependentScenario({ seed, start, durationMs: options.durationMs })
    : generateScenario({ seed, ...options, now: start + options.durationMs + 60_000 });
  log(`seed ${seed}: ${scenario.events.length} events, ${scenario.tenants.length} tenants (attacker ${scenario.attacker ?? 'none'}), ${scenario.sensors} endpoints, ${scenario.campaigns.length} campaigns, ${scenario.truth.length} labelled indicators from ${scenario.indicatorSource}`);
  const clock = createVirtualClock(scenario.window.start);
  clock.install();
  try {
    const started = performance.now();
    // Redis Streams claims are timed with Date.now: under a clock that runs a week in minutes
    // the default 30 s would claim (and serialise the consumer) on every read.
    const d = await startDeployment({ tenants: scenario.tenants, correlatorEnv: { BUS_CLAIM_MIN_IDLE_MS: String(6 * 3_600_000), CORRELATOR_RELIABILITY_INTERVAL_S: '20', ...(values.policy !== undefined ? { CORRELATOR_POLICY_FILE: resolve(process.env['INIT_CWD'] ?? process.cwd(), values.policy) } : {}) } });
    try {
      const replay = await runQualityReplay({
        scenario,
        edgeUrl: d.edgeUrl,
        ingestUrl: d.ingestUrl,
        ingestKeys: d.ingestKeys,
        lookupKeys: d.lookupKeys,
        observerKey: d.observerKey,
        lag: d.lag,
        clock,
        checkpointMs,
        log: (line) => log(`seed ${seed}: ${line}`),
      });
      const scored = scoreSeed(scenario, replay);
      if (values.trace !== undefined) writeTrace(resolve(process.env['INIT_CWD'] ?? process.cwd(), values.trace), scenario, replay);
      results.push(scored);
      log(`seed ${seed}: done in ${((performance.now() - started) / 1000).toFixed(1)} s, ${replay.events.accepted} accepted, ${replay.events.rejected} rejected`);
    } finally {
      await d.close();
    }
  } finally {
    clock.uninstall();
  }
}

const bench = buildQualityBench(results, {
  seeds,
  scenario: values.scenario,
  ...options,
  durationMs: undefined,
  days: options.durationMs / DAY,
  checkpoint_hours: checkpointMs / 3_600_000,
  bus: 'redis',
  policy: values.policy === undefined ? 'shipped' : resolve(process.env['INIT_CWD'] ?? process.cwd(), values.policy),
  machine: { cpus: cpus().length, node: process.version },
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(bench, null, 2)}\n`);
process.stdout.write(`${renderQualityTable(bench)}\nwrote ${out}\n`);
removeTestClickHouseData();
await closeTestServices();
const missed = Object.entries(bench.met).filter(([, ok]) => !ok).map(([name]) => name);
if (values.strict && missed.length > 0) {
  process.stderr.write(`goals missed: ${missed.join(', ')}\n`);
  process.exit(1);
}
