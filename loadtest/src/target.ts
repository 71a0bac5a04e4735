import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The system under test. */
export interface Target {
  url: string;
  /** A key with the lookup and ingest scopes and a rate limit above anything a phase sends. */
  key: string;
  /** The launcher's pid when this run started it (its CPU time is read from /proc). */
  pid: number | undefined;
  /** The data folder of a launcher this run started; the `repute` command works on it. */
  dataDir: string | undefined;
  /** The system's Redis, when known (the redis-benchmark baseline runs against it). */
  redisUrl: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  repoRoot: string;
  /** Folder for the launcher's V8 CPU profile (written when it exits); absent, no profile. */
  cpuProfileDir?: string;
  say: (line: string) => void;
}

/**
 * Starts the system the way `npm start` does, with its data in a temporary folder, reads the
 * address and the first admin key from what it prints, and creates a load-test key with
 * `repute keys create` (the admin key's rate limit is the service default, which a load test
 * would hit within seconds).
 */
export async function startLauncher(options: StartOptions): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-loadtest-'));
  const env: NodeJS.ProcessEnv = { ...process.env, REPUTE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_MS: '0' };
  // --cpu-prof is allowed in NODE_OPTIONS, so the launcher needs no flag of its own; the
  // profile is written when it exits, which it does on SIGTERM.
  if (options.cpuProfileDir !== undefined) env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --cpu-prof --cpu-prof-dir=${options.cpuProfileDir} --cpu-prof-name=launcher.cpuprofile`.trim();
  const child = spawn(process.execPath, ['--conditions=source', 'services/launcher/src/start.ts'], { cwd: options.repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = (): void => { child.kill('SIGKILL'); };
  process.once('exit', kill);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const banner = await new Promise<{ url: string; adminKey: string | undefined; redisUrl: string | undefined }>((resolve, reject) => {
    let text = '';
    let url: string | undefined;
    let adminKey: string | undefined;
    let redisUrl: string | undefined;
    const timer = setTimeout(() => reject(new Error(`the launcher did not say it was ready within 120 s: ${stderr}`)), 120_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the launcher exited ${code}: ${stderr}`)); });
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      url ??= /repute: listening on (http:\/\/\S+)/.exec(text)?.[1];
      adminKey ??= /repute: admin key: (\S+)/.exec(text)?.[1];
      redisUrl ??= /repute: redis: (redis:\/\/\S+)/.exec(text)?.[1];
      if (url !== undefined && text.includes('repute: ready')) {
        clearTimeout(timer);
        resolve({ url, adminKey, redisUrl });
      }
    });
  });
  child.stdout.resume();
  options.say(`launcher at ${banner.url} (pid ${child.pid}, data in ${dataDir})${options.cpuProfileDir !== undefined ? ', CPU profile on' : ''}`);
  const { stdout } = await run(join(options.repoRoot, 'node_modules', '.bin', 'repute'), ['keys', 'create', '--tenant', 'loadtest', '--scopes', 'lookup,ingest', '--rate-limit', '1000000000'], { env: { ...process.env, REPUTE_DATA_DIR: dataDir }, cwd: options.repoRoot });
  const key = stdout.trim().split('\n').at(-1)!.trim();
  return {
    url: banner.url,
    key,
    pid: child.pid,
    dataDir,
    redisUrl: banner.redisUrl,
    async stop() {
      await stopChild(child);
      process.removeListener('exit', kill);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(timer);
}

/** A system someone else runs: `--url` with `--key` (lookup and ingest scopes). */
export function externalTarget(url: string, key: string): Target {
  return { url: url.replace(/\/$/, ''), key, pid: undefined, dataDir: undefined, redisUrl: undefined, async stop() {} };
}
