import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically } from './write-atomically.ts';

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

/** Records the running launcher (written after it listens). */
export function writeRuntimeState(dataDir: string, state: RuntimeState): void {
  writeAtomically(join(dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** Forgets the running launcher (on a clean stop). */
export function clearRuntimeState(dataDir: string): void {
  rmSync(join(dataDir, STATE_FILE), { force: true });
}

/** The running launcher's record, or undefined when none (or not readable). */
export function readRuntimeState(dataDir: string): RuntimeState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, STATE_FILE), 'utf8')) as Partial<RuntimeState> | null;
    if (typeof parsed?.url !== 'string' || typeof parsed.redisUrl !== 'string') return undefined;
    return { url: parsed.url, redisUrl: parsed.redisUrl, pid: Number(parsed.pid), startedAt: String(parsed.startedAt ?? '') };
  } catch {
    return undefined;
  }
}
