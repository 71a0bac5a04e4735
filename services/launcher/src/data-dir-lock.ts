import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Another launcher runs on the data folder. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  readonly code = 'REPUTE_LAUNCHER_DATA_DIR_IN_USE';
  readonly dataDir: string;
  /** The running launcher's pid, when it answered. */
  readonly pid: number | undefined;

  constructor(dataDir: string, pid: number | undefined) {
    super(`another launcher is already running on ${dataDir} (${pid !== undefined ? `pid ${pid}` : 'its pid unknown: it did not answer'})`);
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

export interface DataDirLock {
  /** Gives the folder up; exiting the process does the same. */
  release(): Promise<void>;
}

// The holder answers every connection with its pid, so a refused start can name it.
const ANSWER_TIMEOUT_MS = 5000;

/**
 * Where the lock lives. The folder's device and inode name it, so every spelling of the path
 * (relative, through a symlink) meets the same lock. On Linux an abstract socket: the kernel
 * frees the name when the holder exits however it exits, kill -9 included, and no file is left
 * to go stale. Windows pipes behave the same. Elsewhere a socket file, which a dead holder
 * leaves behind: it refuses connections and is replaced.
 */
function lockPath(dataDir: string): { path: string; file: boolean } {
  const { dev, ino } = statSync(dataDir, { bigint: true });
  const name = `repute-launcher-${dev}-${ino}`;
  if (process.platform === 'linux') return { path: `\0${name}`, file: false };
  if (process.platform === 'win32') return { path: `\\\\?\\pipe\\${name}`, file: false };
  // Socket paths are limited to about 100 bytes, too short for some data folders.
  return { path: join(tmpdir(), `${name}.sock`), file: true };
}

async function listen(server: Server, path: string): Promise<NodeJS.ErrnoException | undefined> {
  return await new Promise((resolve) => {
    server.once('error', resolve);
    server.listen(path, () => {
      server.removeListener('error', resolve);
      resolve(undefined);
    });
  });
}

/** The holder's pid; 'refused' when nothing listens (a stale socket file); undefined when it did not answer. */
async function askHolder(path: string): Promise<number | 'refused' | undefined> {
  return await new Promise((resolve) => {
    let text = '';
    const socket = createConnection(path);
    const done = (answer: number | 'refused' | undefined): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => done(undefined));
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'refused' : undefined));
    socket.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    socket.on('end', () => {
      const pid = Number(/^\{"pid":(\d+)\}$/.exec(text.trim())?.[1]);
      done(Number.isInteger(pid) && pid > 0 ? pid : undefined);
    });
  });
}

/**
 * Claims the data folder for this process, or throws DataDirInUseError naming the launcher that
 * holds it. Held until `release()` or the process exits; a launcher killed with -9 holds nothing.
 * Node opens sockets close-on-exec, so the redis-server this process starts never inherits it.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true });
  const { path, file } = lockPath(dataDir);
  for (let attempt = 0; ; attempt += 1) {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.end(`${JSON.stringify({ pid: process.pid })}\n`);
    });
    const err = await listen(server, path);
    if (err === undefined) {
      // The lock alone must not keep a finished process alive.
      server.unref();
      return {
        release: async () => {
          await new Promise<void>((resolve) => server.close(() => resolve()));
          if (file) rmSync(path, { force: true });
        },
      };
    }
    if (err.code !== 'EADDRINUSE') throw err;
    const holder = await askHolder(path);
    if (holder === 'refused' && file && attempt === 0) {
      rmSync(path, { force: true });
      continue;
    }
    throw new DataDirInUseError(dataDir, typeof holder === 'number' ? holder : undefined);
  }
}
