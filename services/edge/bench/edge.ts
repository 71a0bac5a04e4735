import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomFillSync, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { urlExpressions, type ReputationRecord } from '@repute/core';
import { createKeyStore } from '@repute/auth';
import { freePort, startRedis, waitFor } from '@repute/infra';
import { createRedis, createReputationStore, DigestFilter, SNAPSHOT_HEADER_BYTES } from '@repute/store';

// Load phases are short (a 2-core box shared with others): the figures are indicative, ratios
// against the baselines measured in the same run are what to compare across runs.
const PHASE_S = Number(process.env['BENCH_PHASE_S'] ?? 5);
const CONNECTIONS = 50;
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

function spawnServer(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(node, ['--conditions=source', ...args], { cwd: join(here, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  process.once('exit', () => child.kill('SIGKILL'));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString()));
  });
}

interface Phase { name: string; rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function load(name: string, url: string, paths: string[], options: { method?: 'GET' | 'POST'; bodies?: string[]; headers?: Record<string, string> } = {}): Promise<Phase> {
  let i = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: PHASE_S,
    headers: options.headers ?? {},
    requests: [{
      method: options.method ?? 'GET',
      setupRequest: (req: Record<string, unknown>) => {
        const n = i++;
        req['path'] = paths[n % paths.length];
        if (options.bodies !== undefined) req['body'] = options.bodies[n % options.bodies.length];
        return req;
      },
    }],
  });
  const phase = { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
  process.stdout.write(`  ${name.padEnd(34)} ${Math.round(phase.rps).toString().padStart(8)} req/s  p50 ${phase.p50} ms  p99 ${phase.p99} ms${phase.non2xx ? `  non-2xx ${phase.non2xx}` : ''}\n`);
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
    await spawnServer(['src/server.ts'], {
      REDIS_URL: redisServer.url, REDIS_KEY_PREFIX: prefix, PORT: String(edgePort), LOG_LEVEL: 'warn',
      EDGE_FILTER_CAPACITY: '1000000', EDGE_FILTER_REBUILD_INTERVAL_S: '0', SHUTDOWN_DRAIN_MS: '0',
    }).catch(() => '');
    const edge = `http://127.0.0.1:${edgePort}`;
    await waitFor('edge ready', async () => ((await fetch(`${edge}/readyz`).catch(() => undefined))?.ok ? true : undefined), 120_000);
    const hello = (await spawnServer(['bench/hello.ts'], { PORT: String(helloPort) })).trim();
    const headers = { authorization: `Bearer ${key}` };

    process.stdout.write(`\nload phases: ${PHASE_S} s each, ${CONNECTIONS} connections (${cpus().length} cores shared by server, Redis and load generator)\n`);
    const phases: Phase[] = [];
    const helloPhase = await load('fastify hello-world (baseline)', hello, ['/']);
    phases.push(helloPhase);
    const unknownFiles = Array.from({ length: 10_000 }, (_, i) => `/v1/reputation/file/${sha(`absent-${i}`)}`);
    const knownFiles = files.slice(0, 10_000).map((f) => `/v1/reputation/file/${f}`);
    const mix = (known: string[], unknown: string[]): string[] => Array.from({ length: 10_000 }, (_, i) => (i % 10 === 0 ? known[i % known.length]! : unknown[i % unknown.length]!));
    const rtBefore = await metric(edge, 'repute_edge_redis_round_trips_total');
    const fileUnknown = await load('file, unknown', edge, unknownFiles, { headers });
    const negativeCalls = (await metric(edge, 'repute_edge_redis_round_trips_total')) - rtBefore;
    const fileKnown = await load('file, known-malicious', edge, knownFiles, { headers });
    const fileMix = await load('file, mix (90% unknown)', edge, mix(knownFiles, unknownFiles), { headers });
    const domainPaths = mix(domains.slice(0, 5000).map((d) => `/v1/reputation/domain/${encodeURIComponent(d)}`), Array.from({ length: 5000 }, (_, i) => `/v1/reputation/domain/host${i}.unlisted-${i % 97}.example`));
    const domainMix = await load('domain, mix (90% unknown)', edge, domainPaths, { headers });
    const urlPaths = mix(urls.slice(0, 5000).map((u) => `/v1/reputation/url?url=${encodeURIComponent(u)}`), Array.from({ length: 5000 }, (_, i) => `/v1/reputation/url?url=${encodeURIComponent(`https://www.site${i}.example/path/${i}/page.html?q=${i}`)}`));
    const urlMix = await load('url, mix (90% unknown)', edge, urlPaths, { headers });
    const ipPaths = mix(Array.from({ length: 1000 }, (_, i) => `/v1/reputation/ip/198.51.${i % 256}.${i % 200}`), Array.from({ length: 5000 }, (_, i) => `/v1/reputation/ip/10.${i % 256}.${(i >> 8) % 256}.${i % 250}`));
    const ipMix = await load('ip, mix', edge, ipPaths, { headers });
    phases.push(fileUnknown, fileKnown, fileMix, domainMix, urlMix, ipMix);

    const bodies = Array.from({ length: 20 }, (_, b) => JSON.stringify({
      indicators: Array.from({ length: 1000 }, (_, i) => {
        const n = b * 1000 + i;
        if (i % 10 === 0) return { kind: 'file', value: files[n % files.length] };
        if (i % 10 === 1) return { kind: 'domain', value: `unlisted${n}.example` };
        return { kind: 'file', value: sha(`absent-batch-${n}`) };
      }),
    }));
    const batch = await load('batch of 1000 (90% unknown)', edge, ['/v1/reputation/batch'], { method: 'POST', bodies, headers: { ...headers, 'content-type': 'application/json' } });
    phases.push(batch);

    let redisGet = 0;
    try {
      const out = execFileSync('redis-benchmark', ['-h', redisServer.host, '-p', String(redisServer.port), '-t', 'get', '-c', '50', '-n', '300000', '-q'], { encoding: 'utf8' });
      redisGet = Number(/GET: ([\d.]+) requests per second/.exec(out)?.[1] ?? 0);
    } catch (err) {
      process.stderr.write(`redis-benchmark failed: ${(err as Error).message}\n`);
    }
    process.stdout.write(`  ${'redis-benchmark -t get -c 50'.padEnd(34)} ${Math.round(redisGet).toString().padStart(8)} ops/s\n`);

    for (const c of children) c.kill('SIGTERM');
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
    process.stdout.write(`  ${'filter 10M digests @0.1%'.padEnd(34)} ${(filterBytes / 1e6).toFixed(1)} MB, built in ${buildS.toFixed(2)} s, ${probeNs.toFixed(0)} ns/probe, FP ${(fp / 1e4).toFixed(3)}%\n`);

    const ratio = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 1000) / 1000 : 0);
    const results = {
      machine: { cpus: cpus().length, node: process.version, phase_s: PHASE_S, connections: CONNECTIONS },
      figures: {
        single_file_rps: Math.round(fileMix.rps),
        single_file_p50_ms: fileMix.p50,
        single_file_p99_ms: fileMix.p99,
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
        negative_lookup_redis_calls: negativeCalls,
        negative_lookups_measured: Math.round(fileUnknown.rps * PHASE_S),
        filter_10m_bytes: filterBytes,
        filter_10m_build_s: Math.round(buildS * 100) / 100,
        filter_10m_probe_ns: Math.round(probeNs),
        filter_10m_fpr: fp / 1e6,
        records_loaded: writes.length,
        records_load_s: Math.round(loadS * 10) / 10,
      },
      baseline: { hello_rps: Math.round(helloPhase.rps), hello_p99_ms: helloPhase.p99, redis_get_ops: Math.round(redisGet) },
      ratios: {
        single_file_vs_hello: ratio(fileMix.rps, helloPhase.rps),
        single_file_unknown_vs_hello: ratio(fileUnknown.rps, helloPhase.rps),
        single_file_known_vs_hello: ratio(fileKnown.rps, helloPhase.rps),
        batch_indicators_vs_single_file: ratio(batch.rps * 1000, fileMix.rps),
        single_file_known_vs_redis_get: ratio(fileKnown.rps, redisGet),
      },
      phases,
      errors: phases.reduce((s, p) => s + p.errors, 0),
    };
    const outDir = join(repoRoot, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'edge.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\nratios: file mix / hello ${results.ratios.single_file_vs_hello}, batch indicators/s ${results.figures.batch_indicators_per_s}, negative lookups' Redis calls ${negativeCalls}\n`);
    process.stdout.write(`wrote ${join(outDir, 'edge.json')} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await redisServer.close();
  }
}

await main();
