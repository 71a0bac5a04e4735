import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pingRedis } from '@repute/infra';
import { createRedis } from '@repute/store';

// Starting and stopping the system the way `npm start` does, for the launcher's tests.

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const START = join(ROOT, 'services/launcher/src/start.ts');
export const CLI = join(ROOT, 'shared/cli/bin/repute.mjs');

export interface Launched {
  child: ChildProcess;
  url: string;
  redisUrl: string;
  adminKey: string | undefined;
  output: () => string;
  exited: Promise<number | null>;
}

export function baseEnv(dataDir: string): NodeJS.ProcessEnv {
  // The launcher's own defaults, whatever the test run exports for other suites.
  const env: NodeJS.ProcessEnv = { ...process.env, REPUTE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_MS: '0' };
  for (const name of ['REDIS_URL', 'REDIS_KEY_PREFIX', 'REDIS_CLUSTER_NODES', 'BUS_KIND', 'CLICKHOUSE_URL', 'CLICKHOUSE_DATA_DIR', 'REPUTE_CONFIG_FILE', 'TELEMETRY_TOPIC', 'REPUTE_API_URL', 'REPUTE_API_KEY']) delete env[name];
  return env;
}

export async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the system as `npm start` does and reads the address and admin key it prints. */
export async function launch(dataDir: string): Promise<Launched> {
  const child = spawn(process.execPath, ['--conditions=source', START], { cwd: ROOT, env: baseEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until('the launcher ready', () => {
    if (child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}:\n${out}`);
    return out.includes('repute: ready');
  }, 120_000);
  const url = /repute: listening on (http:\/\/\S+)/.exec(out)?.[1];
  const redisUrl = /repute: redis: (redis:\/\/\S+)/.exec(out)?.[1];
  assert.ok(url !== undefined && redisUrl !== undefined, out);
  return { child, url, redisUrl, adminKey: /repute: admin key: (rpk_\S+)/.exec(out)?.[1], output: () => out, exited };
}

/** Leaves nothing running, whether the test passed or failed half way. */
export async function shutdown(system: Launched | undefined): Promise<number | null> {
  if (system === undefined) return null;
  let code: number | null = system.child.exitCode;
  if (system.child.exitCode === null && system.child.signalCode === null) {
    system.child.kill('SIGCONT');
    system.child.kill('SIGINT');
    const timer = setTimeout(() => system.child.kill('SIGKILL'), 20_000);
    code = await system.exited;
    clearTimeout(timer);
  }
  const { hostname, port } = new URL(system.redisUrl);
  if (await pingRedis(hostname, Number(port))) {
    const redis = createRedis({ REDIS_URL: system.redisUrl }, { offlineQueue: true });
    await redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    redis.disconnect();
  }
  return code;
}
