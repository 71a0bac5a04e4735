import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall, findBinary } from './find-binary.ts';
import { freePort } from './free-port.ts';
import { waitFor } from './wait.ts';

export interface RedisServerOptions {
  /** Folder for the AOF/RDB files; a temporary folder (removed on stop) when absent. */
  dataDir?: string;
  /** Loopback port; a free one when absent. */
  port?: number;
  /** Append-only persistence, on by default so accepted data survives a restart. */
  appendOnly?: boolean;
  /** Extra `--name value` arguments for redis-server. */
  extraArgs?: string[];
  log?: (line: string) => void;
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder, after a stop. */
  start(): Promise<void>;
  /** Stops the server and removes its data folder when it was a temporary one. */
  close(): Promise<void>;
  /** Whether the process is running. */
  running(): boolean;
}

/** Locates redis-server, installing Debian's package when possible. */
export function ensureRedisServer(log?: (line: string) => void): string {
  const existing = findBinary('redis-server');
  if (existing !== undefined) return existing;
  aptInstall(['redis-server'], log);
  const installed = findBinary('redis-server');
  if (installed === undefined) throw new Error('redis-server is still missing after installing the redis-server package');
  return installed;
}

/** Sends PING over RESP and resolves true on +PONG. */
export async function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => done(chunk.toString('latin1').startsWith('+PONG')));
  });
}

/** Starts a private redis-server on loopback and waits until it answers PING. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = ensureRedisServer(options.log);
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'repute-redis-'));
  mkdirSync(dataDir, { recursive: true });
  const host = '127.0.0.1';
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const args = [
    '--port', String(port),
    '--bind', host,
    '--dir', dataDir,
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', options.appendOnly === false ? 'no' : 'yes',
    '--appendfsync', 'everysec',
    '--logfile', '',
    '--loglevel', 'warning',
    ...(options.extraArgs ?? []),
  ];

  const start = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null) return;
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // A crashed or interrupted parent must not leave a server behind.
    const killOnExit = (): void => { proc.kill('SIGKILL'); };
    process.once('exit', killOnExit);
    proc.once('exit', () => process.removeListener('exit', killOnExit));
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    proc.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    await waitFor(`redis-server on ${host}:${port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}: ${output.trim()}`);
      return (await pingRedis(host, port)) ? true : undefined;
    }, 15_000);
    options.log?.(`redis-server listening on ${host}:${port} (data in ${dataDir})`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    dataDir,
    start,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    stop,
    close: async () => {
      await stop();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
