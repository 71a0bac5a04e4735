import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readRuntimeState } from '@repute/runtime-state';
import { pingRedis } from '@repute/infra';
import { createRedis } from '@repute/store';

// Starting and stopping the system the way `npm start` does, for the launcher's tests.

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const START = join(ROOT, 'services/launcher/src/start.ts');
export const CLI = join(ROOT, 'shared/cli/bin/repute.mjs');

export interface Launched {
  /** The process the test started: the launcher itself, or npm running it. */
  child: ChildProcess;
  /** The launcher's own process (the child, or npm's grandchild). */
  launcherPid: number;
  url: string;
  redisUrl: string;
  adminKey: string | undefined;
  output: () => string;
  /** The child's exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

export interface LaunchOptions {
  /** `node` runs start.ts as the root `npm start` script does; `npm` runs the real `npm start`. */
  via?: 'node' | 'npm';
  /** Variables on top of the launcher's defaults. */
  env?: NodeJS.ProcessEnv;
}

export function baseEnv(dataDir: string): NodeJS.ProcessEnv {
  // The launcher's own defaults, whatever the test run exports for other suites.
  const env: NodeJS.ProcessEnv = { ...process.env, REPUTE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_MS: '0' };
  for (const name of ['REDIS_URL', 'REDIS_KEY_PREFIX', 'REDIS_CLUSTER_NODES', 'BUS_KIND', 'CLICKHOUSE_URL', 'CLICKHOUSE_DATA_DIR', 'REPUTE_CONFIG_FILE', 'TELEMETRY_TOPIC', 'REPUTE_API_URL', 'REPUTE_API_KEY', 'REPUTE_REDIS_PORT']) delete env[name];
  return env;
}

export async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a process runs: it exists and is no zombie waiting for a parent to reap it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // The state follows the parenthesised command name, which may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The pid of the redis-server answering on `redisUrl`, from INFO. */
export async function redisPid(redisUrl: string): Promise<number> {
  const redis = createRedis({ REDIS_URL: redisUrl }, { offlineQueue: true, commandTimeoutMs: 2000 });
  try {
    const info = (await redis.call('INFO', 'server')) as string;
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    assert.ok(pid > 0, info);
    return pid;
  } finally {
    redis.disconnect();
  }
}

/** Runs `start.ts` (or `npm start`) in a process group of its own, as a terminal runs a foreground job. */
export function spawnLauncher(dataDir: string, options: LaunchOptions = {}): ChildProcess {
  const env = { ...baseEnv(dataDir), ...options.env };
  if (options.via === 'npm') {
    // npm's `#!/usr/bin/env node` then finds the same Node as this test.
    env['PATH'] = `${dirname(process.execPath)}:${env['PATH'] ?? ''}`;
    return spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  return spawn(process.execPath, ['--conditions=source', START], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts the system as `npm start` does and reads the address and admin key it prints. */
export async function launch(dataDir: string, options: LaunchOptions = {}): Promise<Launched> {
  const child = spawnLauncher(dataDir, options);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until('the launcher ready', () => {
      if (child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}:\n${out}`);
      return out.includes('repute: ready');
    }, 120_000);
  } catch (err) {
    killGroup(child);
    throw err;
  }
  const url = /repute: listening on (http:\/\/\S+)/.exec(out)?.[1];
  const redisUrl = /repute: redis: (redis:\/\/\S+)/.exec(out)?.[1];
  // The launcher records itself in the data folder before it says it is ready.
  const launcherPid = readRuntimeState(dataDir)?.pid;
  assert.ok(url !== undefined && redisUrl !== undefined && launcherPid !== undefined, out);
  return { child, launcherPid, url, redisUrl, adminKey: /repute: admin key: (rpk_\S+)/.exec(out)?.[1], output: () => out, exited };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is gone already.
  }
}

/** Leaves nothing running, whether the test passed or failed half way; resolves with the child's exit code. */
export async function shutdown(system: Launched | undefined): Promise<number | null> {
  if (system === undefined) return null;
  let code: number | null = system.child.exitCode;
  if (system.child.exitCode === null && system.child.signalCode === null) {
    killGroup(system.child, 'SIGCONT');
    killGroup(system.child, 'SIGINT');
    const timer = setTimeout(() => killGroup(system.child), 20_000);
    code = await system.exited;
    clearTimeout(timer);
  }
  // Under npm the launcher may outlive the npm process it ran under.
  await until('the launcher gone', () => !alive(system.launcherPid), 20_000).catch(() => {
    if (alive(system.launcherPid)) process.kill(system.launcherPid, 'SIGKILL');
  });
  const { hostname, port } = new URL(system.redisUrl);
  if (await pingRedis(hostname, Number(port))) {
    const redis = createRedis({ REDIS_URL: system.redisUrl }, { offlineQueue: true });
    await redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    redis.disconnect();
  }
  return code;
}
