import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createClickHouse } from '@repute/analytics';
import { pingRedis } from '@repute/infra';
import { alive, baseEnv, CLI, launch, redisPid, ROOT, shutdown, spawnLauncher, START, until, type Launched } from './launched-system.ts';

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
  for (const path of ['/v1/reputation/file/{hash}', '/v1/telemetry', '/v1/indicators/file/{value}', '/v1/feed/verdicts']) assert.ok(path in openapi.paths, `${path} is missing from the one OpenAPI document: ${Object.keys(openapi.paths).join(' ')}`);

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

/** What the system printed once `marker` appeared: the stop's own lines. */
function after(output: string, marker: string): string[] {
  const at = output.indexOf(marker);
  assert.notEqual(at, -1, `no "${marker}" in:\n${output}`);
  return output.slice(output.lastIndexOf('\n', at) + 1).split('\n').filter((line) => line !== '');
}

/** A stop is quiet when it prints its own progress lines and nothing from the services. */
function assertQuietStop(output: string, marker: string): void {
  const noise = after(output, marker).filter((line) => !line.startsWith('repute: '));
  assert.deepEqual(noise, [], output);
}

async function runsDead(pid: number, what: string): Promise<void> {
  await until(what, () => !alive(pid), 30_000);
}

test('a second start on the same data folder refuses at once and touches nothing; a killed instance does not block the next', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let first: Launched | undefined;
  let third: Launched | undefined;
  t.after(async () => {
    await shutdown(first);
    await shutdown(third);
    rmSync(dataDir, { recursive: true, force: true });
  });

  first = await launch(dataDir);
  const serverBefore = await redisPid(first.redisUrl);
  const stateBefore = readFileSync(join(dataDir, 'launcher.json'), 'utf8');

  const second = spawnLauncher(dataDir);
  let out = '';
  second.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  second.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const refused = new Promise<number | null>((resolve) => second.once('exit', (code) => resolve(code)));
  const killer = setTimeout(() => second.kill('SIGKILL'), 20_000);
  const code = await refused;
  clearTimeout(killer);
  assert.equal(code, 1, out);
  assert.match(out, new RegExp(`already running.*pid ${first.launcherPid}`), out);
  assert.ok(out.includes(dataDir), out);
  assert.doesNotMatch(out, /redis-server|listening/, 'the refused start began starting anyway');

  // The running instance is as it was: the same redis-server, ready, its record intact.
  assert.equal(await redisPid(first.redisUrl), serverBefore, 'the second start replaced the running redis-server');
  assert.equal((await fetch(`${first.url}/readyz`)).status, 200);
  assert.equal(readFileSync(join(dataDir, 'launcher.json'), 'utf8'), stateBefore);

  // kill -9 leaves a stale record and the redis-server behind; neither blocks the next start,
  // which takes the server's data over.
  const { launcherPid, redisUrl } = first;
  process.kill(launcherPid, 'SIGKILL');
  await first.exited;
  await runsDead(launcherPid, 'the killed launcher gone');
  first = undefined;
  third = await launch(dataDir);
  assert.match(third.output(), /a redis-server from an earlier run still holds/);
  assert.equal(third.redisUrl, redisUrl);
  assert.equal(third.adminKey, undefined, 'the data was lost across the takeover');
  assert.equal(await shutdown(third), 0, third.output());
  third = undefined;
});

test('Ctrl-C stops in order and quietly with exit code 0: redis-server outlives the drain', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  // Long enough to look at redis-server while the services drain.
  system = await launch(dataDir, { env: { SHUTDOWN_DRAIN_MS: '3000' } });
  const { url, redisUrl } = system;
  const server = await redisPid(redisUrl);

  // A terminal's Ctrl-C: SIGINT to every process of the foreground group.
  process.kill(-system.child.pid!, 'SIGINT');
  await until('/readyz turned not ready', async () => (await fetch(`${url}/readyz`)).status === 503);
  assert.ok(alive(server), 'redis-server stopped before the services drained');
  const { hostname, port } = new URL(redisUrl);
  assert.equal(await pingRedis(hostname, Number(port)), true, 'redis-server stopped answering before the services drained');

  assert.equal(await system.exited, 0, system.output());
  assert.match(system.output(), /repute: stopped/);
  assertQuietStop(system.output(), 'repute: SIGINT');
  assert.equal(alive(server), false, 'redis-server still runs after the launcher stopped');
});

test('a second Ctrl-C a while after the first stops at once with 130, and redis-server still stops', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  system = await launch(dataDir, { env: { SHUTDOWN_DRAIN_MS: '20000' } });
  const { url } = system;
  const server = await redisPid(system.redisUrl);
  process.kill(-system.child.pid!, 'SIGINT');
  const first = Date.now();
  await until('/readyz turned not ready', async () => (await fetch(`${url}/readyz`)).status === 503);
  // A repeat within a second is the same Ctrl-C (npm forwards it); past that it is a second one.
  await until('a second past the first Ctrl-C', () => Date.now() - first > 1500);
  process.kill(-system.child.pid!, 'SIGINT');
  assert.equal(await system.exited, 130, system.output());
  assert.match(system.output(), /SIGINT again: stopping at once/);
  await runsDead(server, 'redis-server gone');
});

test('a normal start prints no warning', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  system = await launch(dataDir);
  // The edge's tail reads the update stream from the start; give it one read.
  await until('the update stream read', async () => /repute_edge_updates_lag_seconds 0$/m.test(await (await fetch(`${system!.url}/metrics`)).text()));
  const warnings = system.output().split('\n').filter((line) => line.startsWith('{') && (JSON.parse(line) as { level: number }).level >= 40);
  assert.deepEqual(warnings, []);
});

// npm runs the script through its script shell: Debian's sh (dash) stays in between and dies of
// a SIGTERM without passing it on; bash (and the sh of macOS and Fedora) execs node, which then
// gets a Ctrl-C twice, from the terminal and forwarded by npm.
for (const shell of ['sh', 'bash']) {
  test(`SIGTERM to \`npm start\` stops the launcher and its redis-server (script shell ${shell})`, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
    let system: Launched | undefined;
    t.after(async () => {
      await shutdown(system);
      rmSync(dataDir, { recursive: true, force: true });
    });
    system = await launch(dataDir, { via: 'npm', env: { npm_config_script_shell: shell } });
    const server = await redisPid(system.redisUrl);
    assert.notEqual(system.launcherPid, system.child.pid, 'npm runs the launcher as a child of its own');

    // What a script holding `$!`, a process manager or a container runtime does: npm alone.
    system.child.kill('SIGTERM');
    await runsDead(system.launcherPid, 'the launcher gone');
    await runsDead(server, 'redis-server gone');
    const code = await system.exited;
    assert.match(system.output(), /repute: stopped/);
    assertQuietStop(system.output(), ': stopping (');
    // Through dash npm reports the signal its shell died of; through bash the launcher's code.
    if (shell === 'bash') assert.equal(code, 0, system.output());
  });

  test(`Ctrl-C on \`npm start\` stops the launcher and its redis-server quietly (script shell ${shell})`, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
    let system: Launched | undefined;
    t.after(async () => {
      await shutdown(system);
      rmSync(dataDir, { recursive: true, force: true });
    });
    system = await launch(dataDir, { via: 'npm', env: { npm_config_script_shell: shell } });
    const server = await redisPid(system.redisUrl);
    process.kill(-system.child.pid!, 'SIGINT');
    await runsDead(system.launcherPid, 'the launcher gone');
    await runsDead(server, 'redis-server gone');
    const code = await system.exited;
    assert.match(system.output(), /repute: stopped/);
    assertQuietStop(system.output(), 'repute: SIGINT');
    assert.doesNotMatch(system.output(), /again: stopping at once/);
    if (shell === 'bash') assert.equal(code, 0, system.output());
  });
}

test('a killed redis-server is started again on the same data and the system is ready again by itself', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  system = await launch(dataDir);
  const { url, redisUrl } = system;
  const created = await cli(dataDir, ['keys', 'create', '--tenant', 'sensors', '--scopes', 'lookup']);
  assert.match(created.stdout.trim().split('\n').at(-1)!, /^rpk_/);

  const killed = await redisPid(redisUrl);
  process.kill(killed, 'SIGKILL');
  await until('a new redis-server on the same port', async () => {
    const now = await redisPid(redisUrl).catch(() => killed);
    return now !== killed;
  });
  await until('/readyz ready again', async () => (await fetch(`${url}/readyz`)).status === 200);
  assert.match(system.output(), /redis-server .*exited.*restarting/i);
  const listed = JSON.parse((await cli(dataDir, ['--json', 'keys', 'list'])).stdout) as { tenant: string }[];
  assert.deepEqual(listed.map((k) => k.tenant).sort(), ['admin', 'sensors'], 'the data did not survive the restart');
  assert.equal(await shutdown(system), 0, system.output());
  system = undefined;
});

test('a redis-server that cannot be started again makes the launcher exit non-zero', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  system = await launch(dataDir);
  const server = await redisPid(system.redisUrl);
  // Frozen, its data made unreadable, then killed: every restart now fails the same way.
  process.kill(server, 'SIGSTOP');
  const manifest = join(dataDir, 'redis', 'appendonlydir', 'appendonly.aof.manifest');
  assert.ok(existsSync(manifest), manifest);
  writeFileSync(manifest, 'not a manifest\n');
  process.kill(server, 'SIGKILL');
  const launcher = system.child;
  await until('the launcher exited', () => launcher.exitCode !== null || launcher.signalCode !== null, 90_000);
  assert.equal(await system.exited, 1, system.output());
  assert.match(system.output(), /redis-server.*(gave up|giving up)/i);
});
