import { STREAM_START, compareStreamIds, isStreamId } from '@repute/core';
import type { RedisClient } from './create-redis.ts';

/** What an update-stream entry announces. */
export type UpdateOp = 'put' | 'del' | 'alias' | 'revoke' | 'key' | 'overlay' | 'snapshot';

/** One entry of the update stream `<prefix>rep:updates`. */
export interface UpdateEntry {
  /** Stream id, the position a reader resumes after. */
  id: string;
  op: UpdateOp;
  /** Record or alias key, without the deployment prefix. */
  key?: string;
  kind?: string;
  /** Hex digest the filters hold for the key. */
  digest?: string;
  verdict?: string;
  version?: number;
  tenant?: string;
  keyId?: string;
}

/** The stream's retained range. */
export interface StreamRange {
  /** Id of the newest entry ever added ('0-0' when none). */
  last: string;
  /** Id of the oldest retained entry, null when empty. */
  first: string | null;
  /** Highest id removed by XDEL ('0-0' when none). */
  maxDeleted: string;
  length: number;
  /** Entries ever added; more than `length` means some were trimmed away. */
  added: number;
}

// Stream ids are read by the SDK too; their order and syntax are @repute/core's.
export { STREAM_START, compareStreamIds, isStreamId };

export function parseEntry(id: string, fields: string[]): UpdateEntry {
  const entry: UpdateEntry = { id, op: 'put' };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    switch (name) {
      case 'op': entry.op = value as UpdateOp; break;
      case 'key': entry.key = value; break;
      case 'kind': entry.kind = value; break;
      case 'digest': entry.digest = value; break;
      case 'verdict': entry.verdict = value; break;
      case 'version': entry.version = Number(value); break;
      case 'tenant': entry.tenant = value; break;
      case 'keyId': entry.keyId = value; break;
      default: break;
    }
  }
  return entry;
}

/** Flattens an entry's fields for XADD (id and undefined fields left out). */
export function entryFields(entry: Omit<UpdateEntry, 'id'>): string[] {
  const out: string[] = ['op', entry.op];
  for (const name of ['key', 'kind', 'digest', 'verdict', 'version', 'tenant', 'keyId'] as const) {
    const value = entry[name];
    if (value !== undefined) out.push(name, String(value));
  }
  return out;
}

/** Reads up to `count` entries after `since` (exclusive). */
export async function readStream(redis: RedisClient, stream: string, since: string, count: number): Promise<UpdateEntry[]> {
  const rows = (await redis.xrange(stream, `(${since}`, '+', 'COUNT', count)) as [string, string[]][];
  return rows.map(([id, fields]) => parseEntry(id, fields));
}

/** The newest `count` entries, oldest first (XREVRANGE). */
export async function readLatest(redis: RedisClient, stream: string, count: number): Promise<UpdateEntry[]> {
  const rows = (await redis.xrevrange(stream, '+', '-', 'COUNT', count)) as [string, string[]][];
  return rows.reverse().map(([id, fields]) => parseEntry(id, fields));
}

/** The stream's retained range (XINFO STREAM). */
export async function streamRange(redis: RedisClient, stream: string): Promise<StreamRange> {
  let info: unknown[];
  try {
    info = (await redis.xinfo('STREAM', stream)) as unknown[];
  } catch (err) {
    if (/no such key/i.test((err as Error).message)) return { last: STREAM_START, first: null, maxDeleted: STREAM_START, length: 0, added: 0 };
    throw err;
  }
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < info.length; i += 2) map.set(String(info[i]), info[i + 1]);
  const firstEntry = map.get('first-entry') as [string, string[]] | null | undefined;
  return {
    last: String(map.get('last-generated-id') ?? STREAM_START),
    first: firstEntry ? firstEntry[0] : null,
    maxDeleted: String(map.get('max-deleted-entry-id') ?? STREAM_START),
    length: Number(map.get('length') ?? 0),
    added: Number(map.get('entries-added') ?? map.get('length') ?? 0),
  };
}

/**
 * True when a reader at `since` may have lost entries: some were trimmed (MAXLEN) and `since`
 * is before the oldest one kept, or deleted after it. Trimming does not record which ids went,
 * so a reader exactly at the last trimmed id is also told to start over (safe, rare).
 */
export function isTrimmedPast(range: StreamRange, since: string): boolean {
  if (compareStreamIds(since, range.maxDeleted) < 0) return true;
  if (range.added <= range.length) return false;
  if (range.first === null) return compareStreamIds(since, range.last) < 0;
  return compareStreamIds(since, range.first) < 0;
}
