import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClient, type Answer, type PendingItem } from '@repute/client';
import { baseEnv, CLI, launch, ROOT, shutdown, until, type Launched } from './launched-system.ts';
import { floorShortfalls, SIMULATION_FLOORS } from '@repute/simulator';

// The issue's "done when": the system started as `npm start` starts it, an agent's SDK on its
// filter-first path and through an outage, and a seeded simulation scored against its truth.

// The bounds the simulator's own test holds the correlator to, for the same seed and fleet; why
// each holds given the injected noise is in shared/simulator/README.md ("Test thresholds").
// The run's lookup key belongs to a tenant that sends nothing: the global view, where one
// tenant's evidence alone stays `suspicious` (shared/simulator/README.md, "Test thresholds").

/** Runs `repute` as an operator would; resolves with its exit code and output, never throws. */
async function repute(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return await new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: baseEnv(dataDir), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A TCP proxy in front of the system, standing for the network between an agent and the
 * service: `cut()` drops every connection and refuses new ones, `restore()` listens again on
 * the same port.
 */
async function startProxy(target: URL): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    const s = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    port = (s.address() as { port: number }).port;
    server = s;
  };
  const cut = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { url: `http://127.0.0.1:${port}`, cut, restore: listen, close: cut };
}

/** Requests the edge has served on its lookup routes, from the server's own /metrics. */
async function lookupRequests(url: string): Promise<number> {
  const page = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const line of page.split('\n')) if (line.startsWith('repute_http_request_duration_seconds_count{') && line.includes('route="/v1/reputation/')) n += Number(line.split(' ').at(-1));
  return n;
}

/** Posts evidence that convicts a file by itself: two engines' detection and a sandbox's. */
async function convict(url: string, key: string, sha256: string): Promise<void> {
  const now = Date.now();
  const tag = sha256.slice(0, 12);
  const events = [
    { id: `sys-a-${tag}`, sensor: 'agent-1', host: 'host-1', time: now, type: 'detection', file: { sha256 }, verdict: { engine: 'av-one', category: 'malicious' } },
    { id: `sys-b-${tag}`, sensor: 'sandbox-1', host: 'sandbox', time: now, type: 'sandbox_report', file: { sha256 }, verdict: { engine: 'sandbox', category: 'malicious' } },
  ];
  const res = await fetch(`${url}/v1/telemetry`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(events) });
  assert.equal(res.status, 202, await res.clone().text());
}

async function verdictOf(url: string, key: string, sha256: string): Promise<string> {
  const res = await fetch(`${url}/v1/reputation/file/${sha256}`, { headers: { authorization: `Bearer ${key}` } });
  return res.ok ? ((await res.json()) as { verdict: string }).verdict : `http ${res.status}`;
}

const randomSha = (): string => randomBytes(32).toString('hex');

interface SimulationJson {
  seed: number;
  events: { generated: number; accepted: number; rejected: number };
  settle: { settled: boolean; lagZero: boolean | null };
  evaluation: { kinds: Record<'file' | 'url' | 'domain' | 'ip' | 'all', { strict: { precision: number | null; recall: number | null }; severe: { precision: number | null; recall: number | null } }> };
  campaigns: { id: string; tenants: number; timeToMaliciousMs: number | null }[];
  files: { json: string; text: string; svg: string };
  checks: { name: string; ok: boolean }[];
}

test('one command runs it all: the SDK filter-first and offline against `npm start`, and a seeded simulation meets its bounds', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-system-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  system = await launch(dataDir);
  const url = system.url;
  assert.match(system.adminKey ?? '', /^rpk_/, system.output());

  // One document for every service mounted: each operation under a tag (none as "default"),
  // and the edge's lookups with their kind's pattern.
  const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[]; parameters?: { name: string; schema?: { pattern?: string } }[] }>> };
  const untagged = Object.entries(document.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => (op.tags ?? []).length === 0).map(([method]) => `${method} ${path}`));
  assert.deepEqual(untagged, []);
  assert.deepEqual(document.paths['/v1/reputation/file/{hash}']?.['get']?.tags, ['lookups']);
  assert.ok(document.paths['/v1/reputation/domain/{name}']?.['get']?.parameters?.find((p) => p.name === 'name')?.schema?.pattern !== undefined);

  // An agent's key, made the way an operator makes one.
  const created = await repute(dataDir, ['--json', 'keys', 'create', '--tenant', 'agents', '--scopes', 'lookup,ingest']);
  assert.equal(created.code, 0, created.stderr);
  const key = (JSON.parse(created.stdout) as { key: string }).key;

  // Two files the system convicts from telemetry: one the agent asks about online, one only
  // while the service is out of reach.
  const onlineFile = randomSha();
  const offlineFile = randomSha();
  await convict(url, key, onlineFile);
  await convict(url, key, offlineFile);
  await until('both files convicted at the edge', async () => (await verdictOf(url, key, onlineFile)) === 'malicious' && (await verdictOf(url, key, offlineFile)) === 'malicious');

  await t.test('the SDK answers a definite negative from its filter without a request, and rides out an outage', async (st) => {
    const proxy = await startProxy(new URL(url));
    st.after(() => proxy.close());
    // The public key comes straight from the system (the trusted channel), the rest through the proxy.
    const publicKey = ((await (await fetch(`${url}/v1/filters/public-key`)).json()) as { public_key: string }).public_key;
    const resolved: [PendingItem, Answer][] = [];
    const client = createClient({
      baseUrl: proxy.url,
      apiKey: key,
      timeoutMs: 2000,
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 100 },
      filters: { publicKey, refreshIntervalMs: 0 },
      offline: { probeIntervalMs: 100, onResolved: (item, answer) => resolved.push([item, answer]) },
    });
    st.after(() => client.close());
    await client.syncFilters();
    assert.deepEqual(client.filterStatus().map((f) => f.kind).sort(), ['domain', 'file', 'ip', 'url']);

    const before = await lookupRequests(url);
    const negative = await client.lookupFile(randomSha());
    assert.deepEqual([negative.verdict, negative.source, negative.status], ['unknown', 'filter', 'confirmed']);
    assert.deepEqual([client.stats().savedByFilter, client.stats().remote], [1, 0]);
    const positive = await client.lookupFile(onlineFile);
    assert.deepEqual([positive.verdict, positive.source], ['malicious', 'service']);
    assert.equal(client.stats().remote, 1);
    // The server counts exactly the one lookup that was sent: the negative never left the agent.
    await until('the lookup counted in /metrics', async () => (await lookupRequests(url)) >= before + 1);
    assert.equal(await lookupRequests(url), before + 1);

    await proxy.cut();
    assert.equal((await client.lookupFile(onlineFile)).source, 'cache', 'a fresh cached answer needs no service');
    const stillNegative = await client.lookupFile(randomSha());
    assert.deepEqual([stillNegative.source, stillNegative.status], ['filter', 'confirmed']);
    const pending = await client.lookupFile(offlineFile);
    assert.deepEqual([pending.verdict, pending.status, pending.source, pending.filterMatch], ['unknown', 'pending', 'offline', true]);
    assert.equal(client.stats().pending, 1);

    await proxy.restore();
    await until('the pending item resolved', () => client.stats().pending === 0);
    assert.deepEqual(resolved.map(([item, answer]) => [item.value, answer.verdict]), [[offlineFile, 'malicious']]);
    assert.equal((await client.lookupFile(offlineFile)).source, 'cache', 'the resolved answer is cached');
  });

  await t.test('`repute simulate` mints its keys, runs the seeded simulation through the APIs and meets the bounds', async (st) => {
    const out = join(dataDir, 'simulation');
    const started = performance.now();
    const run = await repute(dataDir, ['--json', '--strict', 'simulate', '--seed', '20251', '--speedup', '1800', '--timeout', '40', '--quiet-ms', '5000', '--out', out, '--min-precision', '0.9', '--min-recall', String(SIMULATION_FLOORS.severeRecall)]);
    st.diagnostic(`simulate ran in ${Math.round(performance.now() - started)} ms`);
    assert.ok(run.code === 0 || run.code === 3, `exit ${run.code}: ${run.stderr}`);
    const report = JSON.parse(run.stdout) as SimulationJson;
    st.diagnostic(readFileSync(join(out, 'report.txt'), 'utf8'));
    assert.equal(run.code, report.checks.every((c) => c.ok) ? 0 : 3, 'exit 3 exactly when --strict bounds are not met');
    for (const file of ['report.json', 'report.txt', 'quality.svg']) assert.ok(existsSync(join(out, file)), file);
    assert.equal(report.seed, 20251);
    assert.equal(report.events.rejected, 0);
    assert.equal(report.events.accepted, report.events.generated);
    assert.equal(report.settle.lagZero, true, 'the correlator’s consumer lag reached 0');
    assert.ok(report.settle.settled, 'verdicts settled');

    const k = report.evaluation.kinds;
    st.diagnostic(`precision/recall (malicious): ${(['file', 'url', 'domain', 'ip', 'all'] as const).map((kind) => `${kind} ${k[kind].strict.precision}/${k[kind].strict.recall}`).join(', ')}; m+s recall ${k.all.severe.recall}`);
    assert.deepEqual(floorShortfalls(report), []);

    // The keys were minted for the run and revoked after it.
    const keys = JSON.parse((await repute(dataDir, ['--json', 'keys', 'list'])).stdout) as { tenant: string }[];
    assert.deepEqual(keys.map((k) => k.tenant).sort(), ['admin', 'agents']);
  });

  await t.test('/metrics reports the correlator’s consumer lag', async () => {
    const page = await (await fetch(`${url}/metrics`)).text();
    assert.match(page, /^repute_bus_consumer_lag_messages\{topic="telemetry\.v1",group="correlator"\} 0$/m);
  });

  assert.equal(await shutdown(system), 0, system.output());
  system = undefined;
});
