import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { pingRedis } from '@repute/infra';
import { followChild, type ChildExit } from './child-exit.ts';

export interface RedisProcessOptions {
  /** The redis-server binary. */
  binary: string;
  /** Folder of its append-only files. */
  dir: string;
  port: number;
}

/** How redis-server ended; its output is the server's last words (it logs to stdout). */
export type RedisExit = ChildExit;

/** One run of redis-server. */
export interface RedisProcess {
  readonly pid: number;
  /** Settles when the process has ended, however it ended. */
  readonly exited: Promise<RedisExit>;
  /** SIGTERM (the server fsyncs its AOF and exits), SIGKILL past a grace period. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 10_000;
const OUTPUT_KEPT = 4096;

/** How a redis-server ended, in words: the signal, or the exit code and the server's last log line (its reason). */
export function describeExit(exit: RedisExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  // "1234:M 07 Dec 2026 10:58:06.577 # Invalid AOF manifest file format": the reason is after the mark.
  const last = exit.output.trim().split('\n').at(-1)?.replace(/^\d+:[A-Z] .*? [#*.-] /, '').trim();
  return last !== undefined && last !== '' ? `exit code ${exit.code}: ${last}` : `exit code ${exit.code}`;
}

/**
 * Starts redis-server append-only on loopback and resolves once it answers PING; rejects with
 * its own words when it exits or does not answer first.
 *
 * It runs detached, in a session and process group of its own: a terminal's Ctrl-C goes to the
 * foreground group, and the server must not stop before the services that use it have drained,
 * so the launcher alone stops it. No longer stopped by the terminal, it is stopped by an exit
 * hook when this process exits without stopping it (a second Ctrl-C, a crash): SIGTERM, which
 * still flushes its AOF. Only a launcher killed with -9 leaves it running, for the next start on
 * the data folder to take over.
 */
export async function spawnRedisServer(options: RedisProcessOptions): Promise<RedisProcess> {
  mkdirSync(options.dir, { recursive: true });
  const child = spawn(options.binary, [
    '--port', String(options.port),
    '--bind', HOST,
    '--dir', options.dir,
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--logfile', '',
    '--loglevel', 'warning',
  ], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer): void => { output = (output + d.toString()).slice(-OUTPUT_KEPT); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const { exited, ended } = followChild(child, 'close', () => output);

  const stop = async (): Promise<void> => {
    if (ended() === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await pingRedis(HOST, options.port, 500))) {
    const end = ended();
    if (end !== undefined) throw new Error(`redis-server ended (${describeExit(end)})`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on ${HOST}:${options.port} within ${START_TIMEOUT_MS} ms${output.trim() !== '' ? `: ${output.trim().split('\n').at(-1)}` : ''}`);
    }
    await delay(50);
  }
  return { pid: child.pid!, exited, stop };
}
