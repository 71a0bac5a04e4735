import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort, startRedis } from '@repute/infra';
import { createRedis, createReputationStore } from '@repute/store';
import { cpuSeconds } from '../src/proc-cpu.ts';
import { runDnsperf, type DnsperfResult } from './dnsperf.ts';
import { measureFreshness } from './freshness.ts';
import { probeLatency } from './prober.ts';
import { listedIp, reversed, seedStore, unlistedIp, writeQueryFile, writeRbldnsdData } from './seed.ts';
import { startRbldnsd, startReputeDns, type ServerProcess } from './servers.ts';

// npm run bench:dns [-- --entries 100000 --seconds 10 --samples 50 --profile DIR]
// (Repute holds the run's records and answers in its caches, sized here as an operator would for the working set.)
// Repute's DNS front end and rbldnsd serve the same entries on this machine in one run, and
// dnsperf drives each in turn: at full load (queries/s, CPU per query) and at half of that
// (latency percentiles from a light prober beside it), after a warm-up pass over the query file. Freshness is the time from
// a verdict change written through the store to the first DNS answer that shows it; rbldnsd's
// is its data-file check interval (-c), which this run sets to its default of 60 s.
const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '15' },
    samples: { type: 'string', default: '50' },
    'listed-share': { type: 'string', default: '0.8' },
    // A V8 CPU profile of Repute's server over the whole run, written into DIR on exit.
    profile: { type: 'string' },
  },
});
const ENTRIES = Number(args.entries);
const SECONDS = Number(args.seconds);
const SAMPLES = Number(args.samples);
const LISTED_SHARE = Number(args['listed-share']);
const ZONE = 'bl.bench.example';
const RBLDNSD_CHECK_S = 60;
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function requireTool(tool: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${tool} is not installed: apt-get install -y ${pkg}`);
  }
}
requireTool('dnsperf', 'dnsperf');
requireTool('rbldnsd', 'rbldnsd');

const note = (line: string): void => { process.stderr.write(`[bench:dns] ${line}\n`); };
const work = mkdtempSync(join(tmpdir(), 'repute-dns-bench-'));
// rbldnsd drops root for its own user, which must read the data file.
chmodSync(work, 0o755);
const queryFile = join(work, 'queries.txt');
const loadAtStart = loadavg()[0]!;

interface Measured {
  full: DnsperfResult;
  half: DnsperfResult;
  halfLatencies: number[];
  cpuUsPerQuery: number;
  warmup: DnsperfResult;
}

async function measure(server: ServerProcess): Promise<Measured> {
  note(`${server.name}: warm-up pass over the query file`);
  const warmup = await runDnsperf({ port: server.port, queryFile, seconds: 600, maxRuns: 1 });
  note(`${server.name}: full load for ${SECONDS} s`);
  const cpuBefore = cpuSeconds(server.child.pid) ?? 0;
  const full = await runDnsperf({ port: server.port, queryFile, seconds: SECONDS });
  const cpuUsPerQuery = (((cpuSeconds(server.child.pid) ?? 0) - cpuBefore) * 1e6) / Math.max(1, full.completed);
  const rate = Math.max(100, Math.round(full.qps / 2));
  note(`${server.name}: half load (${rate} queries/s) for ${SECONDS} s`);
  const probeNames = Array.from({ length: 1000 }, (_, i) => reversed(i % 5 === 0 ? unlistedIp(i) : listedIp((i * 7919) % ENTRIES), ZONE));
  const [half, halfLatencies] = await Promise.all([
    runDnsperf({ port: server.port, queryFile, seconds: SECONDS, maxQps: rate }),
    probeLatency(server.port, probeNames, SECONDS - 1),
  ]);
  return { full, half, halfLatencies, cpuUsPerQuery, warmup };
}

const redisServer = await startRedis({ appendOnly: false });
const redis = createRedis({ REDIS_URL: redisServer.url, REDIS_CLUSTER_NODES: '', REDIS_PASSWORD: '' }, { offlineQueue: true, commandTimeoutMs: 60_000 });
const store = createReputationStore(redis, { prefix: '', streamMaxLength: ENTRIES + 10_000 });
let repute: ServerProcess | undefined;
let rbldnsd: ServerProcess | undefined;
try {
  note(`seeding ${ENTRIES} records through the store's write path`);
  const seedStarted = performance.now();
  await seedStore(store, ENTRIES, (done) => note(`  ${done} written`));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  writeRbldnsdData(join(work, 'ips.txt'), ENTRIES);
  const queries = Math.min(ENTRIES, 1_000_000);
  writeQueryFile(queryFile, ZONE, ENTRIES, queries, LISTED_SHARE);

  repute = await startReputeDns({ root: ROOT, redisUrl: redisServer.url, port: await freePort(), adminPort: await freePort(), zone: ZONE, cacheEntries: ENTRIES * 2 + 100_000, answerEntries: queries + 100_000, ...(args.profile !== undefined ? { profileDir: resolve(args.profile) } : {}) });
  const reputeFigures = await measure(repute);
  note(`repute: freshness, ${SAMPLES} verdict changes`);
  const freshness = await measureFreshness(store, repute.port, ZONE, SAMPLES);
  const reputeRss = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(repute.child.pid)]).toString().trim()) * 1024;
  await repute.stop();
  repute = undefined;

  note(`rbldnsd: loading ${ENTRIES} entries`);
  rbldnsd = await startRbldnsd(work, 'ips.txt', await freePort(), ZONE, RBLDNSD_CHECK_S);
  const rbldnsdFigures = await measure(rbldnsd);
  const rbldnsdRss = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(rbldnsd.child.pid)]).toString().trim()) * 1024;
  await rbldnsd.stop();
  rbldnsd = undefined;

  const p = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))] ?? NaN;
  const r2 = (n: number | undefined): number => Math.round((n ?? NaN) * 100) / 100;
  const result = {
    machine: { cpus: cpus().length, node: process.version, load_avg_1m_at_start: r2(loadAtStart), shared: true, entries: ENTRIES, seconds: SECONDS, listed_share: LISTED_SHARE, dnsperf: 'dnsperf -T 1 -c 4 -q 200' },
    figures: {
      qps: Math.round(reputeFigures.full.qps),
      p50_ms: r2(p(reputeFigures.halfLatencies, 50)),
      p99_ms: r2(p(reputeFigures.halfLatencies, 99)),
      latency_samples: reputeFigures.halfLatencies.length,
      half_load_qps: Math.round(reputeFigures.half.qps),
      full_load_avg_latency_ms: r2(reputeFigures.full.avgLatencyMs),
      cpu_us_per_query: r2(reputeFigures.cpuUsPerQuery),
      lost: reputeFigures.full.lost,
      warmup_qps: Math.round(reputeFigures.warmup.qps),
      rss_mb: Math.round(reputeRss / 1e6),
      seed_records_per_s: Math.round(ENTRIES / seedSeconds),
      freshness_p50_ms: r2(p(freshness, 50)),
      freshness_p99_ms: r2(p(freshness, 99)),
      freshness_max_ms: r2(freshness[freshness.length - 1]),
      rcodes: reputeFigures.full.rcodes,
    },
    baseline: {
      rbldnsd_qps: Math.round(rbldnsdFigures.full.qps),
      rbldnsd_half_load_qps: Math.round(rbldnsdFigures.half.qps),
      rbldnsd_p50_ms: r2(p(rbldnsdFigures.halfLatencies, 50)),
      rbldnsd_p99_ms: r2(p(rbldnsdFigures.halfLatencies, 99)),
      rbldnsd_cpu_us_per_query: r2(rbldnsdFigures.cpuUsPerQuery),
      rbldnsd_lost: rbldnsdFigures.full.lost,
      rbldnsd_rss_mb: Math.round(rbldnsdRss / 1e6),
      rbldnsd_freshness_ms: RBLDNSD_CHECK_S * 1000,
      rbldnsd_rcodes: rbldnsdFigures.full.rcodes,
    },
    ratios: {
      qps_vs_rbldnsd: r2(reputeFigures.full.qps / rbldnsdFigures.full.qps),
      cpu_per_query_vs_rbldnsd: r2(reputeFigures.cpuUsPerQuery / rbldnsdFigures.cpuUsPerQuery),
    },
    goals: {
      qps_at_least_half_of_rbldnsd: reputeFigures.full.qps >= 0.5 * rbldnsdFigures.full.qps,
      p99_at_half_load_at_most_5_ms: p(reputeFigures.halfLatencies, 99) <= 5,
      freshness_p99_at_most_1_s: p(freshness, 99) <= 1000,
    },
  };
  const rows: [string, string, string][] = [
    ['queries/s (full load)', String(result.figures.qps), String(result.baseline.rbldnsd_qps)],
    ['p50 / p99 ms (half load)', `${result.figures.p50_ms} / ${result.figures.p99_ms}`, `${result.baseline.rbldnsd_p50_ms} / ${result.baseline.rbldnsd_p99_ms}`],
    ['CPU µs per query', String(result.figures.cpu_us_per_query), String(result.baseline.rbldnsd_cpu_us_per_query)],
    ['lost queries (full load)', String(result.figures.lost), String(result.baseline.rbldnsd_lost)],
    ['RSS MB', String(result.figures.rss_mb), String(result.baseline.rbldnsd_rss_mb)],
    ['freshness p50 / p99 ms', `${result.figures.freshness_p50_ms} / ${result.figures.freshness_p99_ms}`, `${result.baseline.rbldnsd_freshness_ms} (reload check)`],
  ];
  console.log(`\nDNS lists, ${ENTRIES} entries, ${cpus().length} CPUs (shared machine, 1-min load ${r2(loadAtStart)} at start)\n`);
  console.log(`${'figure'.padEnd(28)} ${'repute'.padStart(16)} ${'rbldnsd'.padStart(22)}`);
  for (const [name, a, b] of rows) console.log(`${name.padEnd(28)} ${a.padStart(16)} ${b.padStart(22)}`);
  console.log(`\nqueries/s vs rbldnsd: ${result.ratios.qps_vs_rbldnsd}x; goals: ${JSON.stringify(result.goals)}`);
  const out = join(ROOT, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'dns.json'), `${JSON.stringify(result, null, 2)}\n`);
  note(`wrote ${join(out, 'dns.json')}`);
} finally {
  await repute?.stop();
  await rbldnsd?.stop();
  redis.disconnect();
  await redisServer.close();
  rmSync(work, { recursive: true, force: true });
}
