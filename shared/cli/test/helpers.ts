import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisClient } from '@repute/store';

export const BIN = new URL('../bin/repute.mjs', import.meta.url).pathname;
const EMPTY_DATA_DIR = mkdtempSync(join(tmpdir(), 'repute-cli-'));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `repute` as a user would (through bin/repute.mjs), asynchronously so that an API served
 * by the test process keeps answering meanwhile. Never throws on a non-zero exit. `uid` runs it
 * as another user (only root may), to meet file permissions root would override.
 */
export async function repute(args: string[], env: Record<string, string>, stdin?: string, options: { uid?: number } = {}): Promise<CliRun> {
  return await new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', REPUTE_DATA_DIR: EMPTY_DATA_DIR, ...env },
      maxBuffer: 64 * 1024 * 1024,
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
    }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

/** Deletes every key under a test's prefix. */
export async function dropPrefix(redis: RedisClient, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await (redis as import('ioredis').Redis).scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
