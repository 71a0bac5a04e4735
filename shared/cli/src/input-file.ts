import { accessSync, constants, createReadStream, readFileSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { CliError, EXIT } from './cli-error.ts';

/** The file argument that means standard input, as for cat, tar and curl. */
export const STDIN = '-';

// What an operator needs to fix the path, in their words; other codes keep the system's message.
const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file (a part of the path is not a directory)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'too many symbolic links',
};

/** "cannot read FILE: why", from the error reading it failed with. */
export function cannotRead(file: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = (code !== undefined ? WHY[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
  return new CliError(`cannot read ${file === STDIN ? 'standard input' : file}: ${why}`, EXIT.failure, { cause: err });
}

/**
 * Fails with the reason when `file` cannot be read, before anything is sent or written; returns
 * its size in bytes (undefined for standard input). Nothing is opened, so a FIFO (`<(cmd)`)
 * is left for the one reader that follows.
 */
export function checkReadable(file: string): number | undefined {
  if (file === STDIN) return undefined;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: ${file}`), { code: 'EISDIR' });
    accessSync(file, constants.R_OK);
    return stat.size;
  } catch (err) {
    throw cannotRead(file, err);
  }
}

/** The bytes of `file`, or of standard input for `-`, as a stream. */
export function openInput(file: string): Readable {
  return file === STDIN ? process.stdin : createReadStream(file);
}

/** The whole text of `file`, or of standard input for `-`. */
export async function readInputText(file: string): Promise<string> {
  if (file === STDIN) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw cannotRead(file, err);
  }
}
