import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createClickHouse } from '@repute/analytics';
import { pingRedis } from '@repute/infra';
import { baseEnv, CLI, launch, ROOT, shutdown, START, until, type Launched } from './launched-system.ts';

const run = promisify(execFile);

async function stop(system: Launched): Promise<number | null> {
  system.child.kill('SIGINT');
  return await system.exited;
}

async function cli(dataDir: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: baseEnv(dataDir), maxBuffer: 16 * 1024 * 1024 });
}

async function verdict(url: string, key: string, path: string): Promise<string> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { verdict: string }).verdict;
}

test('npm start serves every API on one port, stops cleanly on SIGINT and keeps its data across a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const started = performance.now();
  system = await launch(dataDir);
  t.diagnostic(`first start ready in ${Math.round(performance.now() - started)} ms`);
  assert.match(system.adminKey ?? '', /^rpk_[0-9a-f]{16}_/, system.output());
  const ready = await fetch(`${system.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(Object.keys(((await ready.json()) as { checks: object }).checks).sort(), ['analyst-clickhouse', 'analyst-redis', 'correlator', 'filters', 'ingest-bus', 'redis']);

  // The CLI finds the running system through the data folder; the key is its last line.
  const created = await cli(dataDir, ['keys', 'create', '--tenant', 'sensors', '--scopes', 'ingest,lookup']);
  const key = created.stdout.trim().split('\n').at(-1)!;
  assert.match(key, /^rpk_/);
  const listed = JSON.parse((await cli(dataDir, ['--json', 'keys', 'list'])).stdout) as { tenant: string; scopes: string[] }[];
  assert.deepEqual(listed.map((k) => k.tenant).sort(), ['admin', 'sensors']);

  const file = randomBytes(32).toString('hex');
  const now = Date.now();
  const events = [
    { id: `e1-${file.slice(0, 8)}`, sensor: 's1', host: 'h1', time: now, type: 'detection', file: { sha256: file }, verdict: { engine: 'av-one', category: 'malicious' } },
    { id: `e2-${file.slice(0, 8)}`, sensor: 's2', host: 'h2', time: now, type: 'sandbox_report', file: { sha256: file }, verdict: { engine: 'sandbox', category: 'malicious' } },
  ];
  const posted = await fetch(`${system.url}/v1/telemetry`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(events) });
  assert.equal(posted.status, 202, await posted.clone().text());
  assert.equal(((await posted.json()) as { accepted: number }).accepted, 2);
  const url = system.url;
  await until('the correlator’s verdict at the edge', async () => (await verdict(url, key, `/v1/reputation/file/${file}`)) === 'malicious');

  // The analyst API and its console on the same port.
  const analyst = await cli(dataDir, ['keys', 'create', '--tenant', 'sensors', '--scopes', 'analyst']);
  const analystKey = analyst.stdout.trim().split('\n').at(-1)!;
  const indicator = await fetch(`${url}/v1/indicators/file/${file}`, { headers: { authorization: `Bearer ${analystKey}` } });
  assert.equal(indicator.status, 200, await indicator.clone().text());
  const body = (await indicator.json()) as { verdict: string; stats: { own: { events: number } } };
  assert.equal(body.verdict, 'malicious');
  assert.equal(body.stats.own.events, 2);
  assert.equal((await fetch(`${url}/v1/indicators/file/${file}`, { headers: { authorization: `Bearer ${key}` } })).status, 403, 'a lookup key is no analyst');
  const consolePage = await fetch(`${url}/console/`);
  assert.equal(consolePage.status, 200);
  assert.match(consolePage.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await consolePage.text(), /<title>Repute console<\/title>/);
  assert.match((await fetch(`${url}/console/app.js`)).headers.get('content-type') ?? '', /^(text|application)\/javascript/, 'browsers run modules only with a JavaScript type');
  const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  for (const path of ['/v1/reputation/file/{hash}', '/v1/telemetry', '/v1/indicators/{kind}/{value}', '/v1/feed/verdicts']) assert.ok(path in openapi.paths, `${path} is missing from the one OpenAPI document: ${Object.keys(openapi.paths).join(' ')}`);

  const { hostname, port } = new URL(system.redisUrl);
  assert.equal(await stop(system), 0, system.output());
  assert.match(system.output(), /repute: stopped/);
  assert.equal(await pingRedis(hostname, Number(port)), false, 'redis-server still answers after the launcher stopped');

  system = await launch(dataDir);
  assert.equal(system.adminKey, undefined, 'a second admin key was printed');
  assert.equal(system.redisUrl, `redis://${hostname}:${port}`, 'the redis port changed across the restart');
  assert.equal(await verdict(system.url, key, `/v1/reputation/file/${file}`), 'malicious');
  assert.equal(await stop(system), 0, system.output());

  // The analytics tables are on disk too.
  const clickhouse = createClickHouse({ CLICKHOUSE_DATA_DIR: join(dataDir, 'clickhouse') });
  try {
    const rows = await (await clickhouse.query({ query: 'SELECT count() AS n FROM repute.telemetry_raw', format: 'JSONEachRow' })).json<{ n: string }>();
    assert.equal(Number(rows[0]?.n), 2);
  } finally {
    await clickhouse.close();
  }
});

test('a configuration problem is reported before anything starts, with exit code 2', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  try {
    const child = spawn(process.execPath, ['--conditions=source', START], { cwd: ROOT, env: { ...baseEnv(dataDir), PORT: 'eighty', BUS_KIND: 'pigeon' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(err, /config: PORT/);
    assert.match(err, /config: BUS_KIND/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
