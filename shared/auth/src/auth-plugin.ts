import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { UpdateEntry, UpdateTail } from '@repute/store';
import { AuthError } from './auth-error.ts';
import type { ApiKeyInfo, KeyStore } from './key-store.ts';
import { hasScope, type Scope } from './scopes.ts';

/** Who is calling: set on every request of a route that declares a scope. */
export interface Principal {
  keyId: string;
  tenant: string;
  scopes: Scope[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route requires; routes without one are public (health, metrics). */
    scope?: Scope;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    apiKeys: ApiKeyCache;
  }
}

/** The in-process view of API keys. */
export interface ApiKeyCache {
  /** Applies an update-stream entry (revocations, new keys). */
  applyEntry(entry: UpdateEntry): void;
  /** Drops a key from the cache at once. */
  invalidate(keyId: string): void;
  /** Writes pending usage counts to Redis now. */
  flushUsage(): Promise<void>;
}

export interface AuthPluginOptions {
  keys: KeyStore;
  /** Requests per minute for keys without their own limit. */
  defaultRateLimitPerMinute?: number;
  /** How long a verified key is trusted without asking Redis again (revocations arrive sooner by the stream). */
  cacheTtlMs?: number;
  /** How long an unknown key is remembered as unknown. */
  negativeTtlMs?: number;
  /** How often usage counts are summed into Redis. */
  usageFlushMs?: number;
  /**
   * Follow the update stream for revocations on a connection of its own. A service that
   * already tails the stream turns this off and passes entries to `fastify.apiKeys.applyEntry`.
   */
  tailRevocations?: boolean;
}

interface CachedKey {
  info: ApiKeyInfo;
  principal: Principal;
  expiresAt: number;
}

const MAX_CACHED = 100_000;

/**
 * Bearer API-key authentication, scopes, per-key rate limits and daily quotas, with no Redis
 * call on the request path once a key is known: verified keys are cached in process (a
 * revocation reaches them through the update stream within about a second), rate limits are
 * counted in process (@fastify/rate-limit's local store, keyed by key id, IETF RateLimit
 * headers) and usage is summed into Redis off the request path.
 */
async function authPlugin(fastify: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  if (fastify.hasDecorator('apiKeys')) return;
  const keys = options.keys;
  const cacheTtl = options.cacheTtlMs ?? 300_000;
  const negativeTtl = options.negativeTtlMs ?? 5_000;
  const defaultLimit = options.defaultRateLimitPerMinute ?? 6_000;
  const cache = new Map<string, CachedKey>();
  const unknown = new Map<string, number>();
  const pendingUsage = new Map<string, number>();
  const usedToday = new Map<string, number>();
  const limits = new Map<string, number>();

  const invalidate = (keyId: string): void => {
    for (const [key, cached] of cache) if (cached.info.id === keyId) cache.delete(key);
    usedToday.delete(keyId);
  };

  const cache_: ApiKeyCache = {
    applyEntry(entry) {
      if (entry.op === 'revoke' && entry.keyId !== undefined) invalidate(entry.keyId);
      else if (entry.op === 'key') unknown.clear();
    },
    invalidate,
    async flushUsage() {
      if (pendingUsage.size === 0) return;
      const batch = new Map(pendingUsage);
      pendingUsage.clear();
      try {
        const totals = await keys.addUsage(batch);
        for (const [id, total] of totals) usedToday.set(id, total);
      } catch {
        // Redis away: keep the counts for the next flush rather than lose them.
        for (const [id, n] of batch) pendingUsage.set(id, (pendingUsage.get(id) ?? 0) + n);
      }
    },
  };
  fastify.decorate('apiKeys', cache_);
  fastify.decorateRequest('principal', null);

  const unauthorized = (detail: string): AuthError =>
    new AuthError('REPUTE_AUTH_UNAUTHORIZED', 401, 'Missing or invalid API key', detail, { 'www-authenticate': 'Bearer' });

  async function resolve(key: string): Promise<CachedKey> {
    const now = Date.now();
    const cached = cache.get(key);
    if (cached !== undefined && cached.expiresAt > now) return cached;
    const seenUnknown = unknown.get(key);
    if (seenUnknown !== undefined && seenUnknown > now) throw unauthorized('the API key is not valid');
    let info: ApiKeyInfo | null;
    try {
      info = await keys.verify(key);
    } catch (err) {
      // Keys already verified keep working without Redis; a key never seen cannot be checked.
      if (cached !== undefined) return cached;
      throw new AuthError('REPUTE_AUTH_UNAVAILABLE', 503, 'Key verification unavailable', 'the key store cannot be reached; retry shortly', { 'retry-after': '1' }, true);
    }
    if (info === null) {
      if (unknown.size > MAX_CACHED) unknown.clear();
      unknown.set(key, now + negativeTtl);
      cache.delete(key);
      throw unauthorized('the API key is not valid');
    }
    if (cache.size > MAX_CACHED) cache.clear();
    const entry: CachedKey = { info, principal: { keyId: info.id, tenant: info.tenant, scopes: info.scopes }, expiresAt: now + cacheTtl };
    cache.set(key, entry);
    limits.set(info.id, info.rateLimitPerMinute ?? defaultLimit);
    return entry;
  }

  fastify.addHook('onRequest', async (request: FastifyRequest) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const header = request.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) throw unauthorized('send the API key as "Authorization: Bearer <key>"');
    const entry = await resolve(header.slice(7).trim());
    if (!hasScope(entry.info.scopes, scope)) {
      throw new AuthError('REPUTE_AUTH_FORBIDDEN', 403, 'Scope not granted', `this key lacks the "${scope}" scope`);
    }
    const id = entry.info.id;
    const quota = entry.info.dailyQuota;
    if (quota !== undefined && (usedToday.get(id) ?? 0) + (pendingUsage.get(id) ?? 0) >= quota) {
      throw new AuthError('REPUTE_AUTH_QUOTA_EXCEEDED', 429, 'Daily quota exceeded', `this key's daily quota of ${quota} requests is used up`, { 'retry-after': String(secondsToUtcMidnight()) }, true);
    }
    pendingUsage.set(id, (pendingUsage.get(id) ?? 0) + 1);
    request.principal = entry.principal;
  });

  await fastify.register(rateLimit, {
    global: true,
    // Counted in this process: the request path never waits for Redis.
    max: (request) => (request as FastifyRequest).principal !== null ? limitOf(request as FastifyRequest) : 0,
    timeWindow: 60_000,
    keyGenerator: (request) => (request as FastifyRequest).principal?.keyId ?? 'anonymous',
    allowList: (request) => (request as FastifyRequest).principal === null,
    enableDraftSpec: true,
    cache: MAX_CACHED,
    errorResponseBuilder: (_request, context) =>
      new AuthError('REPUTE_AUTH_RATE_LIMITED', 429, 'Rate limit exceeded', `at most ${context.max} requests per minute for this key; retry in ${Math.ceil(context.ttl / 1000)} s`, {}, true),
  });

  function limitOf(request: FastifyRequest): number {
    const principal = request.principal;
    return principal === null ? defaultLimit : (limits.get(principal.keyId) ?? defaultLimit);
  }

  const timer = setInterval(() => void cache_.flushUsage(), options.usageFlushMs ?? 1_000);
  timer.unref();
  let tail: UpdateTail | undefined;
  if (options.tailRevocations !== false) {
    const range = await keys.updates.updatesRange().catch(() => undefined);
    tail = keys.updates.tailUpdates({
      since: range?.last ?? `${Date.now()}-0`,
      onEntries: (entries) => { for (const e of entries) cache_.applyEntry(e); },
    });
  }
  fastify.addHook('onClose', async () => {
    clearInterval(timer);
    await tail?.stop();
    await cache_.flushUsage();
  });
}

function secondsToUtcMidnight(): number {
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}

export default fp(authPlugin, { name: 'repute-auth', fastify: '5.x' });
