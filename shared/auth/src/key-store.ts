import { createHash, randomBytes } from 'node:crypto';
import { createReputationStore, type RedisClient, type ReputationStore } from '@repute/store';
import { isScope, type Scope } from './scopes.ts';
import { AuthError } from './auth-error.ts';

/** What a verified key carries. Never holds the key or its hash. */
export interface ApiKeyInfo {
  id: string;
  tenant: string;
  scopes: Scope[];
  /** Requests per minute; undefined means the service default. */
  rateLimitPerMinute?: number;
  /** Requests per UTC day; undefined means unlimited. */
  dailyQuota?: number;
  /**
   * A trusted source (the operator's own sandbox farm, a vendor feed): the telemetry it sends
   * is marked so, and its evidence alone may convict an indicator globally. Absent means false.
   */
  trusted?: boolean;
  createdAt: string;
}

export interface CreateKeyInput {
  tenant: string;
  scopes: Scope[];
  rateLimitPerMinute?: number;
  dailyQuota?: number;
  /** See {@link ApiKeyInfo.trusted}; default false. */
  trusted?: boolean;
}

/** What a tenant name may be. */
export const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** API keys in Redis, stored only as SHA-256 of the (256-bit random) key. */
export interface KeyStore {
  create(input: CreateKeyInput): Promise<{ id: string; key: string }>;
  /** The key's info, or null when unknown or revoked. */
  verify(key: string): Promise<ApiKeyInfo | null>;
  list(): Promise<ApiKeyInfo[]>;
  /** Deletes the key and announces the revocation on the update stream. */
  revoke(id: string): Promise<boolean>;
  /** Adds request counts to today's per-key usage; returns today's totals. */
  addUsage(counts: ReadonlyMap<string, number>): Promise<Map<string, number>>;
  /** The store whose update stream carries key revocations. */
  readonly updates: ReputationStore;
}

export interface KeyStoreOptions {
  prefix: string;
}

const KEY_PATTERN = /^rpk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

/** SHA-256 of a key: a 256-bit random key needs no slow hash, and this keeps verify cheap. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Creates the key store. */
export function createKeyStore(redis: RedisClient, options: KeyStoreOptions): KeyStore {
  const p = options.prefix;
  const byHash = (hash: string): string => `${p}auth:key:${hash}`;
  const byId = (id: string): string => `${p}auth:id:${id}`;
  const allIds = `${p}auth:keys`;
  const updates = createReputationStore(redis, { prefix: p });

  const fromHash = (fields: Record<string, string>): ApiKeyInfo | null => {
    if (fields['id'] === undefined || fields['tenant'] === undefined) return null;
    const info: ApiKeyInfo = {
      id: fields['id'],
      tenant: fields['tenant'],
      scopes: (fields['scopes'] ?? '').split(',').filter(isScope),
      createdAt: fields['createdAt'] ?? '',
    };
    if (fields['rateLimitPerMinute']) info.rateLimitPerMinute = Number(fields['rateLimitPerMinute']);
    if (fields['dailyQuota']) info.dailyQuota = Number(fields['dailyQuota']);
    if (fields['trusted'] === '1') info.trusted = true;
    return info;
  };

  return {
    updates,
    async create(input) {
      // Tenant names end up in Redis keys, ClickHouse rows, log lines and tab-separated listings:
      // no spaces, control characters, path segments or separators.
      if (!TENANT_NAME.test(input.tenant)) {
        throw new AuthError('REPUTE_AUTH_BAD_TENANT', 400, 'Invalid tenant', 'tenant must be 1 to 64 letters, digits, dots, underscores or hyphens, starting with a letter or digit');
      }
      if (input.scopes.length === 0) throw new AuthError('REPUTE_AUTH_BAD_SCOPES', 400, 'Invalid scopes', 'at least one scope is required');
      const id = randomBytes(8).toString('hex');
      const key = `rpk_${id}_${randomBytes(32).toString('base64url')}`;
      const hash = hashKey(key);
      const fields: Record<string, string> = {
        id,
        tenant: input.tenant,
        scopes: input.scopes.join(','),
        createdAt: new Date().toISOString(),
      };
      if (input.rateLimitPerMinute !== undefined) fields['rateLimitPerMinute'] = String(input.rateLimitPerMinute);
      if (input.dailyQuota !== undefined) fields['dailyQuota'] = String(input.dailyQuota);
      // Only when set, so keys stored before the attribute existed read the same as untrusted ones.
      if (input.trusted === true) fields['trusted'] = '1';
      await redis.hset(byHash(hash), fields);
      await redis.set(byId(id), hash);
      await redis.sadd(allIds, id);
      // Edges cache "unknown key" answers briefly; this tells them a new key exists.
      await updates.append({ op: 'key', keyId: id });
      return { id, key };
    },
    async verify(key) {
      if (!KEY_PATTERN.test(key)) return null;
      return fromHash(await redis.hgetall(byHash(hashKey(key))));
    },
    async list() {
      const ids = await redis.smembers(allIds);
      const out: ApiKeyInfo[] = [];
      for (const id of ids) {
        const hash = await redis.get(byId(id));
        if (hash === null) continue;
        const info = fromHash(await redis.hgetall(byHash(hash)));
        if (info !== null) out.push(info);
      }
      return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async revoke(id) {
      const hash = await redis.get(byId(id));
      if (hash === null) return false;
      await redis.del(byHash(hash));
      await redis.del(byId(id));
      await redis.srem(allIds, id);
      await updates.append({ op: 'revoke', keyId: id });
      return true;
    },
    async addUsage(counts) {
      const day = today();
      const pipeline = redis.pipeline();
      const ids = [...counts.keys()];
      for (const id of ids) {
        const key = `${p}auth:usage:${id}:${day}`;
        pipeline.incrby(key, counts.get(id) ?? 0);
        pipeline.expire(key, 3 * 86_400);
      }
      const results = (await pipeline.exec()) ?? [];
      const totals = new Map<string, number>();
      ids.forEach((id, i) => {
        const [err, value] = results[i * 2] ?? [new Error('missing reply'), 0];
        if (err === null) totals.set(id, Number(value));
      });
      return totals;
    },
  };
}
