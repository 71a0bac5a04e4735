import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** A Fastify hello-world in a process of its own, driven by the same generator as the system. */
export interface HelloServer { url: string; pid: number | undefined; stop(): Promise<void> }

export async function startHello(): Promise<HelloServer> {
  const child = spawn(process.execPath, ['--conditions=source', join(here, 'hello-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const kill = (): void => { child.kill('SIGKILL'); };
  process.once('exit', kill);
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the hello-world server exited ${code}`)));
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return { url, pid: child.pid, stop: async () => { process.removeListener('exit', kill); await stop(child); } };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * `redis-benchmark -t get` at the load test's concurrency: against the system's own Redis
 * when it is known, else against a throwaway redis-server (no persistence) on loopback.
 * Returns 0 when redis-benchmark is not installed.
 */
export async function redisGetBaseline(redisUrl: string | undefined, clients: number, requests: number): Promise<{ ops: number; p50_ms: number | undefined; server: string }> {
  let throwaway: ChildProcess | undefined;
  let host = '127.0.0.1';
  let port: number;
  if (redisUrl !== undefined) {
    const u = new URL(redisUrl);
    host = u.hostname;
    port = Number(u.port || 6379);
  } else {
    port = await freePort();
    throwaway = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
  }
  try {
    // --csv gives one line per test: "test","rps","avg","min","p50",...
    const { stdout } = await run('redis-benchmark', ['-h', host, '-p', String(port), '-t', 'get', '-c', String(clients), '-n', String(requests), '--csv'], { timeout: 60_000 });
    const row = stdout.trim().split('\n').map((l) => l.split(',').map((c) => c.replace(/"/g, ''))).find((r) => r[0] === 'GET');
    return { ops: Math.round(Number(row?.[1] ?? 0)), p50_ms: row?.[4] !== undefined ? Number(row[4]) : undefined, server: throwaway === undefined ? 'the system\'s redis-server' : 'a throwaway redis-server' };
  } catch {
    return { ops: 0, p50_ms: undefined, server: 'redis-benchmark not available' };
  } finally {
    throwaway?.kill('SIGTERM');
  }
}
