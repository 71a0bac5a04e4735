import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { UpdateEntry, UpdateTail } from '@repute/store';
import { AuthError } from './auth-error.ts';
import type { ApiKeyInfo, KeyStore } from './key-store.ts';
import { hasScope, type Scope } from './scopes.ts';

/** Who is calling: set on every request of a route that declares a scope. */
export interface Principal {
  keyId: string;
  tenant: string;
  scopes: Scope[];
  /** Whether the key is a trusted source (see `ApiKeyInfo.trusted`); absent means false. */
  trusted?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The scope a route requires, or the scopes any one of which admits (a dispute may come from
     * a partner, a tenant's lookup key or an analyst); routes without one are public (health,
     * metrics). Every admitted request counts against its key's rate limit and daily quota.
     */
    scope?: Scope | readonly Scope[];
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

/** Per key id: usage not yet summed into Redis, today's total, and the rate-limit window. */
interface KeyState {
  id: string;
  limit: number;
  quota: number | undefined;
  pending: number;
  usedToday: number;
  windowStart: number;
  windowCount: number;
}

interface CachedKey {
  info: ApiKeyInfo;
  principal: Principal;
  state: KeyState;
  expiresAt: number;
}

const MAX_CACHED = 100_000;
const WINDOW_MS = 60_000;

/**
 * Bearer API-key authentication, scopes, per-key rate limits and daily quotas, with no Redis
 * call on the request path once a key is known: verified keys are cached in process (a
 * revocation reaches them through the update stream within about a second), rate limits are
 * counted in process (a fixed one-minute window per key id, IETF draft RateLimit headers) and
 * usage is summed into Redis off the request path.
 *
 * The check completes synchronously for a cached key: on the lookup path a promise per hook
 * and the awaits of a rate-limit store cost as much as the lookup itself.
 */
async function authPlugin(fastify: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  if (fastify.hasDecorator('apiKeys')) return;
  const keys = options.keys;
  const cacheTtl = options.cacheTtlMs ?? 300_000;
  const negativeTtl = options.negativeTtlMs ?? 5_000;
  const defaultLimit = options.defaultRateLimitPerMinute ?? 6_000;
  // Keyed by the Authorization header as sent, so a hit needs no string slicing.
  const cache = new Map<string, CachedKey>();
  const unknown = new Map<string, number>();
  const states = new Map<string, KeyState>();

  const invalidate = (keyId: string): void => {
    for (const [key, cached] of cache) if (cached.info.id === keyId) cache.delete(key);
    const state = states.get(keyId);
    if (state !== undefined) state.usedToday = 0;
  };

  const cache_: ApiKeyCache = {
    applyEntry(entry) {
      if (entry.op === 'revoke' && entry.keyId !== undefined) invalidate(entry.keyId);
      else if (entry.op === 'key') unknown.clear();
    },
    invalidate,
    async flushUsage() {
      const batch = new Map<string, number>();
      for (const state of states.values()) {
        if (state.pending === 0) continue;
        batch.set(state.id, state.pending);
        state.pending = 0;
      }
      if (batch.size === 0) return;
      try {
        const totals = await keys.addUsage(batch);
        for (const [id, total] of totals) {
          const state = states.get(id);
          if (state !== undefined) state.usedToday = total;
        }
      } catch {
        // Redis away: keep the counts for the next flush rather than lose them.
        for (const [id, n] of batch) {
          const state = states.get(id);
          if (state !== undefined) state.pending += n;
        }
      }
    },
  };
  fastify.decorate('apiKeys', cache_);
  fastify.decorateRequest('principal', null);

  const unauthorized = (detail: string): AuthError =>
    new AuthError('REPUTE_AUTH_UNAUTHORIZED', 401, 'Missing or invalid API key', detail, { 'www-authenticate': 'Bearer' });

  function stateOf(info: ApiKeyInfo): KeyState {
    let state = states.get(info.id);
    if (state === undefined) {
      if (states.size > MAX_CACHED) {
        // Cached keys point at their state: drop them too, so none counts into a dropped one.
        cache.clear();
        for (const [id, s] of states) if (s.pending === 0) states.delete(id);
      }
      state = { id: info.id, limit: defaultLimit, quota: undefined, pending: 0, usedToday: 0, windowStart: 0, windowCount: 0 };
      states.set(info.id, state);
    }
    state.limit = info.rateLimitPerMinute ?? defaultLimit;
    state.quota = info.dailyQuota;
    return state;
  }

  async function verify(header: string, stale: CachedKey | undefined): Promise<CachedKey> {
    const now = Date.now();
    const seenUnknown = unknown.get(header);
    if (seenUnknown !== undefined && seenUnknown > now) throw unauthorized('the API key is not valid');
    let info: ApiKeyInfo | null;
    try {
      info = await keys.verify(header.slice(7).trim());
    } catch {
      // Keys already verified keep working without Redis; a key never seen cannot be checked.
      if (stale !== undefined) return stale;
      throw new AuthError('REPUTE_AUTH_UNAVAILABLE', 503, 'Key verification unavailable', 'the key store cannot be reached; retry shortly', { 'retry-after': '1' }, true);
    }
    if (info === null) {
      if (unknown.size > MAX_CACHED) unknown.clear();
      unknown.set(header, now + negativeTtl);
      cache.delete(header);
      throw unauthorized('the API key is not valid');
    }
    if (cache.size > MAX_CACHED) cache.clear();
    const entry: CachedKey = { info, principal: { keyId: info.id, tenant: info.tenant, scopes: info.scopes, trusted: info.trusted === true }, state: stateOf(info), expiresAt: now + cacheTtl };
    cache.set(header, entry);
    return entry;
  }

  /** Scope, quota and rate limit of a verified key; null when admitted. */
  function admit(entry: CachedKey, scope: Scope | readonly Scope[], request: FastifyRequest, reply: FastifyReply): AuthError | null {
    if (typeof scope === 'string' ? !hasScope(entry.info.scopes, scope) : !scope.some((s) => hasScope(entry.info.scopes, s))) {
      const detail = typeof scope === 'string' ? `this key lacks the "${scope}" scope` : `this key lacks each of the scopes ${scope.join(', ')}`;
      return new AuthError('REPUTE_AUTH_FORBIDDEN', 403, 'Scope not granted', detail);
    }
    const state = entry.state;
    if (state.quota !== undefined && state.usedToday + state.pending >= state.quota) {
      return new AuthError('REPUTE_AUTH_QUOTA_EXCEEDED', 429, 'Daily quota exceeded', `this key's daily quota of ${state.quota} requests is used up`, { 'retry-after': String(secondsToUtcMidnight()) }, true);
    }
    const now = Date.now();
    if (now - state.windowStart >= WINDOW_MS) {
      state.windowStart = now;
      state.windowCount = 0;
    }
    const count = ++state.windowCount;
    const max = state.limit;
    const resetS = Math.ceil((state.windowStart + WINDOW_MS - now) / 1000);
    if (count > max) {
      const seconds = String(resetS);
      return new AuthError('REPUTE_AUTH_RATE_LIMITED', 429, 'Rate limit exceeded', `at most ${max} requests per minute for this key; retry in ${resetS} s`,
        { 'ratelimit-limit': String(max), 'ratelimit-remaining': '0', 'ratelimit-reset': seconds, 'retry-after': seconds }, true);
    }
    state.pending++;
    request.principal = entry.principal;
    void reply.header('ratelimit-limit', max).header('ratelimit-remaining', max - count).header('ratelimit-reset', resetS);
    return null;
  }

  // Synchronous for a cached key (no promise per request); applies to every route of this
  // scope, whatever order they were registered in, and passes those without a scope.
  fastify.addHook('onRequest', (request, reply, done) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) {
      done();
      return;
    }
    let header = request.headers.authorization;
    // The scheme is case-insensitive (RFC 9110 §11.1); the common spelling costs no regex.
    if (header !== undefined && !header.startsWith('Bearer ') && /^bearer\s+\S/i.test(header)) header = `Bearer ${header.replace(/^bearer\s+/i, '').trim()}`;
    if (header === undefined || !header.startsWith('Bearer ')) {
      done(unauthorized('send the API key as "Authorization: Bearer <key>"'));
      return;
    }
    const cached = cache.get(header);
    if (cached !== undefined && cached.expiresAt > Date.now()) {
      const denied = admit(cached, scope, request, reply);
      if (denied === null) done();
      else done(denied);
      return;
    }
    verify(header, cached).then(
      (entry) => {
        const denied = admit(entry, scope, request, reply);
        if (denied === null) done();
        else done(denied);
      },
      (err: unknown) => done(err as Error),
    );
  });

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
