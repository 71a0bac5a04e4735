import { aliasKey, decodeRecord, digestOf, encodeRecord, recordKey, recordKeyPrefix, type IndicatorKind, type ReputationRecord } from '@repute/core';
import { isCluster, duplicateForBlocking, type RedisClient } from './create-redis.ts';
import { storeKeys } from './keys.ts';
import { multiGet } from './multi-get.ts';
import { REMOVE_RECORD, WRITE_ALIAS, WRITE_RECORD } from './scripts.ts';
import { STREAM_START, entryFields, parseEntry, readLatest, readStream, streamRange, type StreamRange, type UpdateEntry } from './update-stream.ts';
import { StoreError } from './store-error.ts';

export interface ReputationStoreOptions {
  /** Prefix of every key (deployment isolation); '' for none. */
  prefix: string;
  /** Approximate number of update-stream entries kept (XADD MAXLEN ~). */
  streamMaxLength?: number;
}

/** Outcome of a versioned write or removal. */
export interface WriteResult {
  /** False when the stored record was as new or newer (nothing changed). */
  written: boolean;
  /** Stream id of the appended update entry. */
  streamId?: string;
  key: string;
}

export interface TailOptions {
  /** Position to read after (exclusive). */
  since: string;
  /** Called with each batch in stream order; the position advances once it resolves. */
  onEntries(entries: UpdateEntry[]): void | Promise<void>;
  /** Called when a read fails (Redis away); the tail retries by itself. */
  onError?(err: Error): void;
  /** Called after a read succeeds again following errors. */
  onRecover?(): void | Promise<void>;
  /** Called after every successful read, empty or not (the reader is current as of now). */
  onRead?(): void;
  blockMs?: number;
  count?: number;
}

/** A running tail of the update stream. */
export interface UpdateTail {
  /** Position of the last entry handed to onEntries. */
  position(): string;
  /** Moves the position (after loading a newer snapshot). */
  seek(position: string): void;
  stop(): Promise<void>;
}

/** The reputation store: records, aliases, the sorted digest index and the update stream. */
export interface ReputationStore {
  readonly prefix: string;
  readonly redis: RedisClient;
  /** Prefixed Redis key of a record key. */
  fullKey(key: string): string;
  get(key: string): Promise<ReputationRecord | null>;
  /** Records of many keys (unprefixed record keys) in one round trip per server. */
  getMany(keys: readonly string[]): Promise<(ReputationRecord | null)[]>;
  /** Raw stored values (records or alias targets) of many unprefixed keys. */
  getManyRaw(keys: readonly string[]): Promise<(string | null)[]>;
  /**
   * Writes a record when its version is newer than the stored one, appending an update entry.
   * A `file` record whose value is an MD5 or SHA-1 (a list gave no SHA-256) is keyed by its alias
   * digest, `rep:file:<sha256("<md5|sha1>:<hex>")>`: the digest the file filter holds for that
   * hash, so filters, index and rebuilds treat it as any other record. It lives beside the alias
   * (`rep:alias:...`, which points at a SHA-256 record once one is known); lookups read both and
   * the worse verdict wins.
   */
  write(record: ReputationRecord): Promise<WriteResult>;
  /** Points an MD5 or SHA-1 alias at a SHA-256. */
  writeAlias(algorithm: 'md5' | 'sha1', hex: string, sha256: string): Promise<WriteResult>;
  /** Removes a record (unless the stored one is newer than `version`), appending a removal entry. */
  remove(kind: IndicatorKind, value: string, version?: number): Promise<WriteResult>;
  /** Appends an entry that is not a record change (revocations, overlay and snapshot notices). */
  append(entry: Omit<UpdateEntry, 'id'>): Promise<string>;
  /** Up to `count` entries after `since` (exclusive). */
  readUpdates(since: string, count: number): Promise<UpdateEntry[]>;
  /** The newest `count` entries, oldest first. */
  latestUpdates(count: number): Promise<UpdateEntry[]>;
  /** The update stream's retained range. */
  updatesRange(): Promise<StreamRange>;
  /** Follows the update stream on its own connection until stopped. */
  tailUpdates(options: TailOptions): UpdateTail;
  /** Digests (hex) of `kind` records starting with `hexPrefix`, in order. */
  digestsWithPrefix(kind: IndicatorKind, hexPrefix: string, limit: number): Promise<string[]>;
  /** Walks every record key of `kind` (SCAN), calling `onDigests` with hex digests. */
  scanDigests(kind: IndicatorKind, onDigests: (digests: string[]) => void, count?: number): Promise<number>;
}

const DEFAULT_STREAM_MAX = 1_000_000;

/** Creates the reputation store over an ioredis client (single or cluster). */
export function createReputationStore(redis: RedisClient, options: ReputationStoreOptions): ReputationStore {
  const prefix = options.prefix;
  const maxLen = String(options.streamMaxLength ?? DEFAULT_STREAM_MAX);
  const stream = storeKeys.updates(prefix);
  const cluster = isCluster(redis);
  const full = (key: string): string => prefix + key;

  const decode = (value: string | null): ReputationRecord | null => (value === null ? null : decodeRecord(value));

  async function runScript(script: string, keys: string[], args: string[]): Promise<string | null> {
    const result = await redis.eval(script, keys.length, ...keys, ...args);
    return typeof result === 'string' ? result : null;
  }

  async function writeOnCluster(key: string, record: ReputationRecord, digest: string, encoded: string): Promise<WriteResult> {
    // A script may only touch keys of one slot on a cluster: compare-and-set the record in one
    // script, then index and announce it. A crash between the two leaves the record written but
    // unannounced until the next write or filter rebuild (which reads records, not the stream).
    const cas = `${WRITE_RECORD.split('local current')[0]}
local current = redis.call('GET', KEYS[1])
if storedVersion(current) >= tonumber(ARGV[1]) then return false end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;
    const done = await redis.eval(cas, 1, full(key), String(record.version), encoded);
    if (done !== 1) return { written: false, key };
    await redis.zadd(storeKeys.index(prefix, record.kind), 0, digest);
    const id = await redis.xadd(stream, 'MAXLEN', '~', maxLen, '*', ...entryFields({ op: 'put', key, kind: record.kind, digest, verdict: record.verdict, version: record.version }));
    return { written: true, key, ...(id ? { streamId: id } : {}) };
  }

  const store: ReputationStore = {
    prefix,
    redis,
    fullKey: full,

    async get(key) {
      return decode(await redis.get(full(key)));
    },

    async getMany(keys) {
      return (await multiGet(redis, keys.map(full))).map(decode);
    },

    async getManyRaw(keys) {
      return await multiGet(redis, keys.map(full));
    },

    async write(record) {
      if (!Number.isSafeInteger(record.version) || record.version < 0) {
        throw new StoreError('REPUTE_STORE_BAD_VERSION', `record version must be a non-negative integer, got ${record.version}`);
      }
      const digestBuf = digestOf(record.kind, record.value);
      const digest = digestBuf.toString('hex');
      const key = recordKey(record.kind, digestBuf);
      const encoded = encodeRecord(record);
      if (cluster) return await writeOnCluster(key, record, digest, encoded);
      const id = await runScript(WRITE_RECORD, [full(key), stream, storeKeys.index(prefix, record.kind)], [
        String(record.version), encoded, record.kind, record.verdict, digest, maxLen, key,
      ]);
      return id === null ? { written: false, key } : { written: true, streamId: id, key };
    },

    async writeAlias(algorithm, hex, sha256) {
      const lowerHex = hex.toLowerCase();
      const key = aliasKey(algorithm, lowerHex);
      const digest = digestOf('file', lowerHex).toString('hex');
      if (cluster) {
        await redis.set(full(key), sha256.toLowerCase());
        const id = await redis.xadd(stream, 'MAXLEN', '~', maxLen, '*', ...entryFields({ op: 'alias', key, kind: 'file', digest }));
        return { written: true, key, ...(id ? { streamId: id } : {}) };
      }
      const id = await runScript(WRITE_ALIAS, [full(key), stream], [sha256.toLowerCase(), digest, maxLen, key]);
      return id === null ? { written: false, key } : { written: true, streamId: id, key };
    },

    async remove(kind, value, version) {
      const digestBuf = digestOf(kind, value);
      const digest = digestBuf.toString('hex');
      const key = recordKey(kind, digestBuf);
      if (cluster) {
        const current = await redis.get(full(key));
        if (current === null) return { written: false, key };
        const stored = decodeRecord(current).version;
        if (version !== undefined && stored > version) return { written: false, key };
        await redis.del(full(key));
        await redis.zrem(storeKeys.index(prefix, kind), digest);
        const id = await redis.xadd(stream, 'MAXLEN', '~', maxLen, '*', ...entryFields({ op: 'del', key, kind, digest, version: stored }));
        return { written: true, key, ...(id ? { streamId: id } : {}) };
      }
      const id = await runScript(REMOVE_RECORD, [full(key), stream, storeKeys.index(prefix, kind)], [
        String(version ?? -1), kind, digest, maxLen, key,
      ]);
      return id === null ? { written: false, key } : { written: true, streamId: id, key };
    },

    async append(entry) {
      const id = await redis.xadd(stream, 'MAXLEN', '~', maxLen, '*', ...entryFields(entry));
      if (id === null) throw new StoreError('REPUTE_STORE_APPEND_FAILED', 'XADD returned no id');
      return id;
    },

    async readUpdates(since, count) {
      return await readStream(redis, stream, since, count);
    },

    async latestUpdates(count) {
      return await readLatest(redis, stream, count);
    },

    async updatesRange() {
      return await streamRange(redis, stream);
    },

    tailUpdates(tail) {
      const blockMs = tail.blockMs ?? 1000;
      const count = tail.count ?? 1000;
      const reader = duplicateForBlocking(redis, blockMs);
      let position = tail.since;
      let stopped = false;
      let failing = false;
      let wake: (() => void) | undefined;
      const loop = (async () => {
        let backoff = 50;
        while (!stopped) {
          try {
            const reply = (await reader.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, position)) as
              | [string, [string, string[]][]][]
              | null;
            if (failing) {
              failing = false;
              await tail.onRecover?.();
            }
            backoff = 50;
            tail.onRead?.();
            const rows = reply?.[0]?.[1] ?? [];
            if (rows.length === 0 || stopped) continue;
            const entries = rows.map(([id, fields]) => parseEntry(id, fields));
            const before = position;
            await tail.onEntries(entries);
            // A seek during onEntries wins over the batch's last id.
            if (position === before) position = entries[entries.length - 1]!.id;
          } catch (err) {
            if (stopped) break;
            failing = true;
            tail.onError?.(err as Error);
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, backoff);
              wake = () => { clearTimeout(timer); resolve(); };
            });
            backoff = Math.min(backoff * 2, 1000);
          }
        }
      })();
      return {
        position: () => position,
        seek(next) { position = next; },
        async stop() {
          stopped = true;
          wake?.();
          reader.disconnect();
          await loop;
        },
      };
    },

    async digestsWithPrefix(kind, hexPrefix, limit) {
      const p = hexPrefix.toLowerCase();
      return await redis.zrangebylex(storeKeys.index(prefix, kind), `[${p}`, `[${p}\xff`, 'LIMIT', 0, limit);
    },

    async scanDigests(kind, onDigests, count = 1000) {
      const match = `${prefix}${recordKeyPrefix(kind)}*`;
      const strip = `${prefix}${recordKeyPrefix(kind)}`.length;
      let total = 0;
      const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', count);
          cursor = next;
          if (keys.length > 0) {
            total += keys.length;
            onDigests(keys.map((k) => k.slice(strip)));
          }
        } while (cursor !== '0');
      }
      return total;
    },
  };
  return store;
}

export { STREAM_START };
