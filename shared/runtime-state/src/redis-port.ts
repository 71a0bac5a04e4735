import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically } from './write-atomically.ts';

const PORT_FILE = join('redis', 'port');

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
  writeAtomically(join(dataDir, PORT_FILE), `${port}\n`);
}
