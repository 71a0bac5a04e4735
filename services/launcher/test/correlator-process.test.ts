import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, launch, shutdown, until, type Launched } from './launched-system.ts';

/** The pid of the launcher's correlator process, if it has one now. */
function correlatorPid(launcherPid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== launcherPid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('correlator-process')) return Number(entry);
    } catch {
      // Gone while being read.
    }
  }
  return undefined;
}

/** Two malicious reports on a fresh file hash: enough for the correlator to call it malicious. */
function reportsOnNewFile(): { file: string; events: object[] } {
  const file = randomBytes(32).toString('hex');
  const now = Date.now();
  return {
    file,
    events: [
      { id: `a-${file.slice(0, 12)}`, sensor: 's1', host: 'h1', time: now, type: 'detection', file: { sha256: file }, verdict: { engine: 'av-one', category: 'malicious' } },
      { id: `b-${file.slice(0, 12)}`, sensor: 's2', host: 'h2', time: now, type: 'sandbox_report', file: { sha256: file }, verdict: { engine: 'sandbox', category: 'malicious' } },
    ],
  };
}

async function post(system: Launched, events: object[]): Promise<void> {
  const res = await fetch(`${system.url}/v1/telemetry`, { method: 'POST', headers: { authorization: `Bearer ${system.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(events) });
  assert.equal(res.status, 202, await res.clone().text());
  assert.equal(((await res.json()) as { accepted: number }).accepted, events.length);
}

async function verdict(system: Launched, file: string): Promise<string> {
  const res = await fetch(`${system.url}/v1/reputation/file/${file}`, { headers: { authorization: `Bearer ${system.adminKey}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { verdict: string }).verdict;
}

async function sightedEvents(system: Launched, file: string): Promise<number> {
  const res = await fetch(`${system.url}/v1/indicators/file/${file}/sightings?bucket=hour`, { headers: { authorization: `Bearer ${system.adminKey}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { own: { events: number }[] }).own.reduce((n, b) => n + b.events, 0);
}

test('npm start runs the correlator in a process of its own; a killed one is started again and nothing accepted is lost; SIGTERM stops both', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  // Events a killed process had taken but not acknowledged are claimed by the next one after
  // this idle time.
  system = await launch(dataDir, { via: 'npm', env: { npm_config_script_shell: 'bash', BUS_CLAIM_MIN_IDLE_MS: '1000' } });
  assert.ok(system.adminKey !== undefined, system.output());
  const { launcherPid } = system;
  const first = correlatorPid(launcherPid);
  assert.ok(first !== undefined, `no correlator process under the launcher (pid ${launcherPid}):\n${system.output()}`);

  // Scored in the other process, seen at the edge in this one.
  const one = reportsOnNewFile();
  await post(system, one.events);
  await until('the correlator’s verdict at the edge', async () => (await verdict(system!, one.file)) === 'malicious');
  // The analyst's ClickHouse queries reach the engine in the correlator's process.
  await until('the sightings in ClickHouse', async () => (await sightedEvents(system!, one.file)) === 2);
  const ready = (await (await fetch(`${system.url}/readyz`)).json()) as { status: string; checks: Record<string, { ok: boolean }> };
  assert.equal(ready.status, 'ready');
  assert.equal(ready.checks['correlator']?.ok, true);
  // A batch counts once it is settled, after its verdict-log insert: its sightings and verdict
  // can be visible a moment before the count is.
  const counted = /^repute_correlator_events_total\S* [1-9]/m;
  let metrics = '';
  await until('the correlator’s metrics on the launcher’s /metrics', async () => counted.test(metrics = await (await fetch(`${system!.url}/metrics`)).text()));
  assert.match(metrics, counted, 'the correlator’s metrics are on the launcher’s /metrics');
  assert.equal(metrics.match(/^# HELP repute_bus_consumer_lag_messages /gm)?.length, 1, 'a family shown twice');

  // Killed with events in flight, and more accepted while it is down.
  const during = [reportsOnNewFile(), reportsOnNewFile(), reportsOnNewFile()];
  await post(system, during[0]!.events);
  process.kill(first, 'SIGKILL');
  await post(system, during[1]!.events);
  await until('a new correlator process', () => {
    const now = correlatorPid(launcherPid);
    return now !== undefined && now !== first;
  });
  await post(system, during[2]!.events);
  await until('/readyz ready again', async () => (await fetch(`${system!.url}/readyz`)).status === 200);
  for (const { file } of during) await until(`the verdict on ${file.slice(0, 12)}`, async () => (await verdict(system!, file)) === 'malicious');
  for (const { file } of during) await until(`the sightings of ${file.slice(0, 12)}`, async () => (await sightedEvents(system!, file)) === 2);
  assert.match(system.output(), /correlator process exited \(killed by SIGKILL\); restarting/);

  // SIGTERM to npm: the launcher stops the correlator's process in order, then itself.
  const second = correlatorPid(launcherPid)!;
  system.child.kill('SIGTERM');
  await until('the launcher gone', () => !alive(launcherPid));
  assert.equal(alive(second), false, 'the correlator process outlived the launcher');
  assert.equal(await system.exited, 0, system.output());
  assert.match(system.output(), /repute: stopped/);
});

test('the correlator process stops by itself when the launcher is killed', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  system = await launch(dataDir);
  const child = correlatorPid(system.launcherPid);
  assert.ok(child !== undefined, system.output());
  process.kill(system.launcherPid, 'SIGKILL');
  await until('the orphaned correlator process gone', () => !alive(child), 30_000);
});

test('REPUTE_CORRELATOR_PROCESS=false runs the correlator in the launcher itself', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-launcher-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  system = await launch(dataDir, { env: { REPUTE_CORRELATOR_PROCESS: 'false' } });
  assert.equal(correlatorPid(system.launcherPid), undefined);
  const one = reportsOnNewFile();
  await post(system, one.events);
  await until('the correlator’s verdict at the edge', async () => (await verdict(system!, one.file)) === 'malicious');
  await until('the sightings in ClickHouse', async () => (await sightedEvents(system!, one.file)) === 2);
  assert.equal(await shutdown(system), 0, system.output());
  system = undefined;
});
