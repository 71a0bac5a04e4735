import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomFillSync, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { urlExpressions, type ReputationRecord } from '@repute/core';
import { createKeyStore } from '@repute/auth';
import { freePort, startRedis, waitFor } from '@repute/infra';
import { createRedis, createReputationStore, DigestFilter, SNAPSHOT_HEADER_BYTES } from '@repute/store';
import type { LoadResult, LoadSpec } from './load.ts';

// Load phases are short (a 2-core box shared with others): the figures are indicative, ratios
// against the baselines measured in the same run are what to compare across runs.
const PHASE_S = Number(process.env['BENCH_PHASE_S'] ?? 5);
const CONNECTIONS = 50;
// The fairness phase's single lookups: a rate far below the maximum, so their latency is the
// wait behind batches, not a queue of lookups.
const FAIR_RATE = 200;
const FAIR_CONNECTIONS = 50;
const PAIRS = Math.max(1, Number(process.env['BENCH_PAIRS'] ?? 3));
const FILES = 100_000;
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
const dataDir = join(repoRoot, '..', 'shared', 'data');
const node = process.execPath;
const children: ChildProcess[] = [];
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

function lines(path: string, limit: number): string[] {
  return readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!')).slice(0, limit);
}

function record(kind: ReputationRecord['kind'], value: string): ReputationRecord {
  return { kind, value, verdict: 'malicious', score: 90, confidence: 0.9, categories: ['bench'], firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_000_000, prevalence: { sensors: 2, tenants: 1 }, reasons: [{ rule: 'feed.listed', weight: 1 }], version: 1, ttl: 600 };
}

// BENCH_PIN="<server cpus>:<load cpus>" (e.g. "0:1") pins the servers and the generator apart
// with taskset, the one-Node-core topology of the performance notes; unset, they float.
const PIN = /^([\d,-]+):([\d,-]+)$/.exec(process.env['BENCH_PIN'] ?? '');
const pinned = (cpus: string | undefined, command: string, args: string[]): [string, string[]] =>
  cpus === undefined ? [command, args] : ['taskset', ['-c', cpus, command, ...args]];

// BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server process there (on SIGTERM).
const PROFILE = process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`] : [];
// BENCH_ONLY=<comma list of phase names> runs only those load phases (profiling one path).
const ONLY = new Set((process.env['BENCH_ONLY'] ?? '').split(',').filter((s) => s !== ''));

/** Starts a server process; `firstLine` resolves with the first thing it prints. */
function spawnServer(args: string[], env: Record<string, string>): { pid: number | undefined; firstLine: Promise<string> } {
  const [command, argv] = pinned(PIN?.[1], node, [...PROFILE, '--conditions=source', ...args]);
  const child = spawn(command, argv, { cwd: join(here, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  process.once('exit', () => child.kill('SIGKILL'));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString()));
  });
  firstLine.catch(() => undefined);
  return { pid: child.pid, firstLine };
}

interface Phase { name: string; rps: number; p50: number; p99: number; errors: number; non2xx: number; server_cpu_us_per_req?: number; server_busy?: number }

// CPU time (user + system, in clock ticks of 10 ms) a process has used, from /proc on Linux:
// the server's CPU per request is steadier than its rate on a box shared with other work.
function cpuTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

// The generator: the load test's net-socket worker, which builds each request once and shares
// it across connections, so it costs the same per request for hello-world's one path as for a
// 10,000-indicator mix. BENCH_GENERATOR=autocannon takes the earlier one (bench/load.ts) for
// the closed-loop phases; its cost grows with the number of distinct requests, so the mix paid
// for the generator's share of the 2 cores and hello-world did not. Constant-rate phases always
// take the net-socket worker: autocannon has no constant rate.
const LOAD_WORKER = join(repoRoot, 'loadtest', 'src', 'load-worker.ts');
const GENERATOR = process.env['BENCH_GENERATOR'] === 'autocannon' ? join(here, 'load.ts') : LOAD_WORKER;

type Request = LoadSpec['requests'][number];
interface LoadOptions { headers?: Record<string, string>; pid?: number; rate?: number; connections?: number }

async function load(id: string, name: string, url: string, requests: Request[], options: LoadOptions = {}): Promise<Phase> {
  if (ONLY.size > 0 && !ONLY.has(id)) return { name, rps: 0, p50: 0, p99: 0, errors: 0, non2xx: 0 };
  const ticksBefore = cpuTicks(options.pid);
  const spec: LoadSpec = { url, connections: options.connections ?? CONNECTIONS, durationS: PHASE_S, requests, headers: options.headers ?? {}, ...(options.rate !== undefined ? { rate: options.rate } : {}) };
  const [command, args] = pinned(PIN?.[2], node, ['--conditions=source', options.rate === undefined ? GENERATOR : LOAD_WORKER]);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stdin.end(JSON.stringify(spec));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load generator for ${name} exited ${code}`);
  const ticksAfter = cpuTicks(options.pid);
  const r = JSON.parse(out) as LoadResult;
  const durationS = r.durationS ?? PHASE_S;
  const phase: Phase = { name, rps: r.rps, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
  if (ticksBefore !== undefined && ticksAfter !== undefined && r.rps > 0) {
    const cpuS = (ticksAfter - ticksBefore) / 100;
    phase.server_cpu_us_per_req = Math.round((cpuS * 1e7) / (r.rps * durationS)) / 10;
    phase.server_busy = Math.round((cpuS / durationS) * 100) / 100;
  }
  const cpu = phase.server_cpu_us_per_req !== undefined ? `  server ${phase.server_cpu_us_per_req} µs CPU/req, ${Math.round((phase.server_busy ?? 0) * 100)}% busy` : '';
  process.stdout.write(`  ${name.padEnd(40)} ${Math.round(phase.rps).toString().padStart(8)} req/s  p50 ${phase.p50} ms  p99 ${phase.p99} ms${phase.non2xx ? `  non-2xx ${phase.non2xx}` : ''}${phase.errors ? `  errors ${phase.errors}` : ''}${cpu}\n`);
  return phase;
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function main(): Promise<void> {
  const started = performance.now();
  const redisServer = await startRedis({ appendOnly: false });
  try {
    const prefix = 'bench:';
    const redis = createRedis({ REDIS_URL: redisServer.url }, { offlineQueue: true, commandTimeoutMs: 30_000 });
    const store = createReputationStore(redis, { prefix });

    // Records: 100k synthetic file hashes plus real domains and URLs from the feeds (strings only).
    const files = Array.from({ length: FILES }, (_, i) => sha(`bench-file-${i}`));
    const domains = lines(join(dataDir, 'romainmarcoux-malicious-domains', 'full-domains-aa.txt'), 50_000);
    const urls = lines(join(dataDir, 'blocklist-recommendations', 'lists', 'urls.txt'), 20_000);
    const expressions: string[] = [];
    for (const u of urls) {
      try { expressions.push(urlExpressions(u)[0]!); } catch { /* not canonicalisable: skipped */ }
    }
    const loadStart = performance.now();
    const writes: ReputationRecord[] = [
      ...files.map((f) => record('file', f)),
      ...domains.map((d) => record('domain', d)),
      ...expressions.map((e) => record('url', e)),
    ];
    for (let i = 0; i < writes.length; i += 1000) {
      await Promise.all(writes.slice(i, i + 1000).map((r) => store.write(r).catch(() => undefined)));
    }
    const loadS = (performance.now() - loadStart) / 1000;
    process.stdout.write(`loaded ${writes.length} records in ${loadS.toFixed(1)} s\n`);
    const { key } = await createKeyStore(redis, { prefix }).create({ tenant: 'bench', scopes: ['lookup'], rateLimitPerMinute: 1_000_000_000 });

    const edgePort = await freePort();
    const helloPort = await freePort();
    const edgeServer = spawnServer(['src/server.ts'], {
      REDIS_URL: redisServer.url, REDIS_KEY_PREFIX: prefix, PORT: String(edgePort), LOG_LEVEL: 'warn',
      EDGE_FILTER_CAPACITY: '1000000', EDGE_FILTER_REBUILD_INTERVAL_S: '0', SHUTDOWN_DRAIN_MS: '0',
    });
    const edge = `http://127.0.0.1:${edgePort}`;
    await waitFor('edge ready', async () => ((await fetch(`${edge}/readyz`).catch(() => undefined))?.ok ? true : undefined), 120_000);
    const helloServer = spawnServer(['bench/hello.ts'], { PORT: String(helloPort) });
    const hello = (await helloServer.firstLine).trim();
    const headers = { authorization: `Bearer ${key}` };
    const onEdge = { headers, pid: edgeServer.pid };
    const get = (paths: string[]): Request[] => paths.map((path) => ({ method: 'GET', path }));

    process.stdout.write(`\nload phases: ${PHASE_S} s each, ${CONNECTIONS} connections (${cpus().length} cores shared by server, Redis and load generator)\n`);
    const phases: Phase[] = [];
    const unknownFiles = Array.from({ length: 10_000 }, (_, i) => `/v1/reputation/file/${sha(`absent-${i}`)}`);
    const knownFiles = files.slice(0, 10_000).map((f) => `/v1/reputation/file/${f}`);
    const mix = (known: string[], unknown: string[]): string[] => Array.from({ length: 10_000 }, (_, i) => (i % 10 === 0 ? known[i % known.length]! : unknown[i % unknown.length]!));
    // Redis round trips over the unknown-only phase, from the edge's own counter.
    const rtBefore = await metric(edge, 'repute_edge_redis_round_trips_total');
    const fileUnknown = await load('unknown', 'file, unknown', edge, get(unknownFiles), onEdge);
    const negativeCalls = (await metric(edge, 'repute_edge_redis_round_trips_total')) - rtBefore;
    const fileKnown = await load('known', 'file, known-malicious', edge, get(knownFiles), onEdge);
    // The headline ratio: hello-world and the file mix back to back, PAIRS times; the median
    // pair counts, so one phase disturbed by a neighbour on the shared box does not decide it.
    const pairs: { hello: Phase; mix: Phase }[] = [];
    const mixRequests = get(mix(knownFiles, unknownFiles));
    for (let p = 1; p <= PAIRS; p++) {
      const h = await load('hello', `fastify hello-world (baseline) #${p}`, hello, get(['/']), { pid: helloServer.pid });
      const m = await load('mix', `file, mix (90% unknown) #${p}`, edge, mixRequests, onEdge);
      pairs.push({ hello: h, mix: m });
    }
    const pairRatio = (x: { hello: Phase; mix: Phase }): number => (x.hello.rps > 0 ? x.mix.rps / x.hello.rps : 0);
    const medianPair = [...pairs].sort((a, b) => pairRatio(a) - pairRatio(b))[Math.floor(pairs.length / 2)]!;
    const helloPhase = medianPair.hello;
    const fileMix = medianPair.mix;
    phases.push(fileUnknown, fileKnown, ...pairs.flatMap((x) => [x.hello, x.mix]));
    const domainPaths = mix(domains.slice(0, 5000).map((d) => `/v1/reputation/domain/${encodeURIComponent(d)}`), Array.from({ length: 5000 }, (_, i) => `/v1/reputation/domain/host${i}.unlisted-${i % 97}.example`));
    const domainMix = await load('domain', 'domain, mix (90% unknown)', edge, get(domainPaths), onEdge);
    const urlPaths = mix(urls.slice(0, 5000).map((u) => `/v1/reputation/url?url=${encodeURIComponent(u)}`), Array.from({ length: 5000 }, (_, i) => `/v1/reputation/url?url=${encodeURIComponent(`https://www.site${i}.example/path/${i}/page.html?q=${i}`)}`));
    const urlMix = await load('url', 'url, mix (90% unknown)', edge, get(urlPaths), onEdge);
    const ipPaths = mix(Array.from({ length: 1000 }, (_, i) => `/v1/reputation/ip/198.51.${i % 256}.${i % 200}`), Array.from({ length: 5000 }, (_, i) => `/v1/reputation/ip/10.${i % 256}.${(i >> 8) % 256}.${i % 250}`));
    const ipMix = await load('ip', 'ip, mix', edge, get(ipPaths), onEdge);
    phases.push(domainMix, urlMix, ipMix);

    const bodies = Array.from({ length: 20 }, (_, b) => JSON.stringify({
      indicators: Array.from({ length: 1000 }, (_, i) => {
        const n = b * 1000 + i;
        if (i % 10 === 0) return { kind: 'file', value: files[n % files.length] };
        if (i % 10 === 1) return { kind: 'domain', value: `unlisted${n}.example` };
        return { kind: 'file', value: sha(`absent-batch-${n}`) };
      }),
    }));
    const batchRequests: Request[] = bodies.map((body) => ({ method: 'POST', path: '/v1/reputation/batch', body }));
    // Repeated like the pairs above; the median phase counts.
    const batches: Phase[] = [];
    for (let p = 1; p <= PAIRS; p++) {
      batches.push(await load('batch', `batch of 1000 (90% unknown) #${p}`, edge, batchRequests, onEdge));
    }
    const batch = [...batches].sort((a, b) => a.rps - b.rps)[Math.floor(batches.length / 2)]!;
    phases.push(...batches);

    // Fairness: single file lookups at a constant rate (latency from when each was due), alone
    // and then while CONNECTIONS connections post those batches as fast as they are answered. A
    // batch hands the event loop back between slices, so a lookup that arrives behind batches
    // should wait about one slice, not whole batches; the loop's longest stall comes from
    // /metrics (prom-client resets it at every scrape).
    const fairRequests = mixRequests.slice(0, 2000);
    const fairAlone = await load('fairness', `file at ${FAIR_RATE}/s, alone`, edge, fairRequests, { headers, rate: FAIR_RATE, connections: FAIR_CONNECTIONS });
    const lagMetric = 'repute_process_nodejs_eventloop_lag_max_seconds';
    await metric(edge, lagMetric);
    const [fairBeside, fairBatches] = await Promise.all([
      load('fairness', `file at ${FAIR_RATE}/s, beside batches`, edge, fairRequests, { headers, rate: FAIR_RATE, connections: FAIR_CONNECTIONS }),
      load('fairness', 'batch of 1000, beside those lookups', edge, batchRequests, { headers }),
    ]);
    const lagMaxMs = Math.round((await metric(edge, lagMetric)) * 1000);
    if (ONLY.size === 0 || ONLY.has('fairness')) process.stdout.write(`  ${'event loop: longest stall beside batches'.padEnd(40)} ${lagMaxMs} ms\n`);
    phases.push(fairAlone, fairBeside, fairBatches);

    let redisGet = 0;
    try {
      const out = execFileSync('redis-benchmark', ['-h', redisServer.host, '-p', String(redisServer.port), '-t', 'get', '-c', '50', '-n', '300000', '-q'], { encoding: 'utf8' });
      redisGet = Number(/GET: ([\d.]+) requests per second/.exec(out)?.[1] ?? 0);
    } catch (err) {
      process.stderr.write(`redis-benchmark failed: ${(err as Error).message}\n`);
    }
    process.stdout.write(`  ${'redis-benchmark -t get -c 50'.padEnd(40)} ${Math.round(redisGet).toString().padStart(8)} ops/s\n`);

    // Servers exit on SIGTERM (a CPU profile is written then); wait for them.
    await Promise.all(children.map((c) => new Promise((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve(undefined);
      c.once('exit', resolve);
      c.kill('SIGTERM');
    })));
    redis.disconnect();

    // Filter at production size: 10M digests at 0.1%.
    const n = 10_000_000;
    const digests = Buffer.allocUnsafe(n * 32);
    randomFillSync(digests);
    const buildStart = performance.now();
    const filter = DigestFilter.forCapacity(n, 0.001);
    for (let i = 0; i < n; i++) filter.add(digests.subarray(i * 32, i * 32 + 32));
    const buildS = (performance.now() - buildStart) / 1000;
    const absent = randomBytes(32 * 1_000_000);
    let fp = 0;
    const probeStart = performance.now();
    for (let i = 0; i < 1_000_000; i++) if (filter.has(absent.subarray(i * 32, i * 32 + 32))) fp++;
    const probeNs = ((performance.now() - probeStart) * 1e6) / 1_000_000;
    const filterBytes = filter.bytes().length + SNAPSHOT_HEADER_BYTES;
    process.stdout.write(`  ${'filter 10M digests @0.1%'.padEnd(40)} ${(filterBytes / 1e6).toFixed(1)} MB, built in ${buildS.toFixed(2)} s, ${probeNs.toFixed(0)} ns/probe, FP ${(fp / 1e4).toFixed(3)}%\n`);

    const ratio = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 1000) / 1000 : 0);
    const results = {
      machine: { cpus: cpus().length, node: process.version, phase_s: PHASE_S, connections: CONNECTIONS, hello_mix_pairs: PAIRS, pinned: PIN?.[0] ?? null, generator: GENERATOR === LOAD_WORKER ? 'loadtest/src/load-worker.ts' : 'autocannon' },
      figures: {
        single_file_rps: Math.round(fileMix.rps),
        single_file_p50_ms: fileMix.p50,
        single_file_p99_ms: fileMix.p99,
        single_file_server_cpu_us_per_req: fileMix.server_cpu_us_per_req ?? null,
        single_file_server_busy: fileMix.server_busy ?? null,
        single_file_unknown_rps: Math.round(fileUnknown.rps),
        single_file_unknown_p99_ms: fileUnknown.p99,
        single_file_known_rps: Math.round(fileKnown.rps),
        single_file_known_p99_ms: fileKnown.p99,
        single_domain_mix_rps: Math.round(domainMix.rps),
        single_url_mix_rps: Math.round(urlMix.rps),
        single_ip_mix_rps: Math.round(ipMix.rps),
        batch_requests_per_s: Math.round(batch.rps),
        batch_p99_ms: batch.p99,
        batch_indicators_per_s: Math.round(batch.rps * 1000),
        batch_server_cpu_us_per_req: batch.server_cpu_us_per_req ?? null,
        fairness_single_rate: FAIR_RATE,
        fairness_single_p50_ms_alone: fairAlone.p50,
        fairness_single_p99_ms_alone: fairAlone.p99,
        fairness_single_p50_ms_beside_batches: fairBeside.p50,
        fairness_single_p99_ms_beside_batches: fairBeside.p99,
        fairness_batch_indicators_per_s: Math.round(fairBatches.rps * 1000),
        fairness_batch_p99_ms: fairBatches.p99,
        fairness_loop_lag_max_ms: lagMaxMs,
        negative_lookup_redis_calls: negativeCalls,
        negative_lookups_measured: Math.round(fileUnknown.rps * PHASE_S),
        filter_10m_bytes: filterBytes,
        filter_10m_build_s: Math.round(buildS * 100) / 100,
        filter_10m_probe_ns: Math.round(probeNs),
        filter_10m_fpr: fp / 1e6,
        records_loaded: writes.length,
        records_load_s: Math.round(loadS * 10) / 10,
      },
      // A hello server far from 100% busy was held back by the generator (or the neighbours).
      baseline: { hello_rps: Math.round(helloPhase.rps), hello_p99_ms: helloPhase.p99, hello_server_cpu_us_per_req: helloPhase.server_cpu_us_per_req ?? null, hello_server_busy: helloPhase.server_busy ?? null, redis_get_ops: Math.round(redisGet) },
      ratios: {
        single_file_vs_hello: ratio(fileMix.rps, helloPhase.rps),
        single_file_vs_hello_pairs: pairs.map((x) => ratio(x.mix.rps, x.hello.rps)),
        single_file_unknown_vs_hello: ratio(fileUnknown.rps, helloPhase.rps),
        single_file_known_vs_hello: ratio(fileKnown.rps, helloPhase.rps),
        single_file_cpu_vs_hello: fileMix.server_cpu_us_per_req !== undefined && helloPhase.server_cpu_us_per_req ? ratio(fileMix.server_cpu_us_per_req, helloPhase.server_cpu_us_per_req) : null,
        single_url_vs_single_file: ratio(urlMix.rps, fileMix.rps),
        batch_indicators_vs_single_file: ratio(batch.rps * 1000, fileMix.rps),
        single_file_known_vs_redis_get: ratio(fileKnown.rps, redisGet),
      },
      phases,
      errors: phases.reduce((s, p) => s + p.errors, 0),
    };
    const outDir = join(repoRoot, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'edge.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\nratios: file mix / hello ${results.ratios.single_file_vs_hello} (pairs ${results.ratios.single_file_vs_hello_pairs.join(', ')}), server CPU per request file mix / hello ${results.ratios.single_file_cpu_vs_hello ?? '?'}, url / file mix ${results.ratios.single_url_vs_single_file}, batch indicators/s ${results.figures.batch_indicators_per_s}, negative lookups' Redis calls ${negativeCalls}\n`);
    process.stdout.write(`fairness: single p99 ${fairAlone.p99} ms alone, ${fairBeside.p99} ms beside batches (p50 ${fairAlone.p50} / ${fairBeside.p50} ms), loop stall max ${lagMaxMs} ms\n`);
    process.stdout.write(`wrote ${join(outDir, 'edge.json')} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await redisServer.close();
  }
}

await main();
