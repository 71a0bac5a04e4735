import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a running launcher records in its data folder so that the `repute` command finds it
 * without configuration: the API address and the Redis it runs on.
 */
export interface RuntimeState {
  url: string;
  redisUrl: string;
  pid: number;
  startedAt: string;
}

const STATE_FILE = 'launcher.json';
const PORT_FILE = join('redis', 'port');

/** Records the running launcher (written after it listens). */
export function writeRuntimeState(dataDir: string, state: RuntimeState): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** Forgets the running launcher (on a clean stop). */
export function clearRuntimeState(dataDir: string): void {
  rmSync(join(dataDir, STATE_FILE), { force: true });
}

/** The running launcher's record, or undefined when none (or not readable). */
export function readRuntimeState(dataDir: string): RuntimeState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, STATE_FILE), 'utf8')) as Partial<RuntimeState>;
    if (typeof parsed.url !== 'string' || typeof parsed.redisUrl !== 'string') return undefined;
    return { url: parsed.url, redisUrl: parsed.redisUrl, pid: Number(parsed.pid), startedAt: String(parsed.startedAt ?? '') };
  } catch {
    return undefined;
  }
}

/** The private redis-server's port recorded in the data folder, or undefined. */
export function readRedisPort(dataDir: string): number | undefined {
  try {
    const port = Number(readFileSync(join(dataDir, PORT_FILE), 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** Records the private redis-server's port so that restarts and the CLI reuse it. */
export function writeRedisPort(dataDir: string, port: number): void {
  mkdirSync(join(dataDir, 'redis'), { recursive: true });
  writeFileSync(join(dataDir, PORT_FILE), `${port}\n`);
}
