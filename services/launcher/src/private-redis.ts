import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { readRedisPort, writeRedisPort } from '@repute/runtime-state';
import { ensureRedisServer, freePort, pingRedis } from '@repute/infra';
import { createRedis } from '@repute/store';
import { spawnRedisServer } from './redis-process.ts';
import { superviseRedis } from './redis-supervisor.ts';

export interface PrivateRedisOptions {
  /** The deployment's data folder; the server keeps its AOF under `<dataDir>/redis`. */
  dataDir: string;
  /** A fixed port, or 0 for the recorded one (a free one on first start). */
  port: number;
  log: (line: string) => void;
  /** The server died and could not be started again: the system cannot serve and should stop. */
  onLost: (err: Error) => void;
}

/** The deployment's own redis-server, kept running until `stop()`. */
export interface PrivateRedis {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Folder of its append-only files. */
  readonly dataDir: string;
  /** The server's pid; undefined while it is being restarted. */
  pid(): number | undefined;
  /** Stops it (its AOF flushed) for good. */
  stop(): Promise<void>;
}

async function portIsFree(port: number): Promise<boolean> {
  return await new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** The folder a Redis on `port` keeps its data in, or undefined when it will not say. */
async function dirOf(port: number): Promise<string | undefined> {
  const redis = createRedis({ REDIS_URL: `redis://127.0.0.1:${port}` }, { offlineQueue: true, commandTimeoutMs: 2000 });
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'dir')) as string[];
    return reply[1];
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

async function shutdown(port: number): Promise<void> {
  const redis = createRedis({ REDIS_URL: `redis://127.0.0.1:${port}` }, { offlineQueue: true, commandTimeoutMs: 5000 });
  // SHUTDOWN rewrites nothing and fsyncs the AOF; the connection drops as the answer.
  await redis.call('SHUTDOWN').catch(() => undefined);
  redis.disconnect();
  const deadline = Date.now() + 10_000;
  while (await pingRedis('127.0.0.1', port, 200)) {
    if (Date.now() > deadline) throw new Error(`the redis-server left running on port ${port} did not stop`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts the deployment's own redis-server (append-only, data under `<dataDir>/redis`) on a port
 * that stays the same across restarts, so the CLI and the data stay where they were, and starts
 * it again when it dies. The caller holds the data folder (`lockDataDir`), so a server found on
 * the recorded port with this folder's data is one a killed launcher left behind: it is shut
 * down (flushing its AOF) and started afresh under this process. A recorded port another program
 * took is replaced by a free one.
 */
export async function startPrivateRedis(options: PrivateRedisOptions): Promise<PrivateRedis> {
  const binary = ensureRedisServer(options.log);
  const dir = resolve(join(options.dataDir, 'redis'));
  const recorded = readRedisPort(options.dataDir);
  let port = options.port !== 0 ? options.port : recorded ?? (await freePort());
  if (await pingRedis('127.0.0.1', port, 500)) {
    const theirs = await dirOf(port);
    if (theirs !== undefined && resolve(theirs) === dir) {
      options.log(`a redis-server from an earlier run still holds ${dir}; stopping it first`);
      await shutdown(port);
    }
  }
  if (!(await portIsFree(port))) {
    if (options.port !== 0) throw new Error(`port ${port} (REPUTE_REDIS_PORT) is taken by another program; choose another or set REDIS_URL to use an existing Redis`);
    const taken = port;
    port = await freePort();
    options.log(`the recorded redis port ${taken} is taken by another program; using ${port}`);
  }
  writeRedisPort(options.dataDir, port);
  const supervisor = await superviseRedis({
    start: async () => await spawnRedisServer({ binary, dir, port }),
    log: options.log,
    onGiveUp: options.onLost,
  });
  options.log(`redis-server listening on 127.0.0.1:${port} (data in ${dir})`);
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dataDir: dir,
    pid: () => supervisor.current()?.pid,
    stop: async () => await supervisor.stop(),
  };
}
