import { isIndicatorError, LOOKUP_KINDS } from '@repute/core';
import { AnswerCache, cacheKey } from './answer-cache.ts';
import { prepareIndicator, type Candidate, type PreparedIndicator } from './candidates.ts';
import { isUnavailable, ReputeClientError } from './client-error.ts';
import { createFilterSync, type FilterSync } from './filter-sync.ts';
import { createTransport, type Transport } from './http-transport.ts';
import { PendingSet, type ResolvedListener } from './pending-set.ts';
import { isRemoteAnswer, MAX_BATCH, remoteBatch, remoteOne, remotePrivate, type RemoteAnswer } from './remote-lookups.ts';
import type {
  Answer, BatchResult, ClientOptions, ClientStats, FilterStatus, IndicatorInput, LookupKind, OfflineOptions, PendingItem,
} from './types.ts';
import { localUnknown } from './wire-answer.ts';

/** A Repute client; create one per process and share it. */
export interface ReputeClient {
  /**
   * Looks up one indicator: the cache, then the local filter (a definite negative answers
   * `unknown` without a request), then the service.
   * @throws {IndicatorError} when the value cannot be an indicator of that kind
   * @throws {ReputeApiError} on an error answer (bad key, scope, ...)
   * @throws {ReputeUnavailableError} when the service cannot be reached and offline mode is off
   */
  lookup(kind: LookupKind, value: string): Promise<Answer>;
  /** {@link ReputeClient.lookup} of a file by its MD5, SHA-1 or SHA-256. */
  lookupFile(hash: string): Promise<Answer>;
  /** {@link ReputeClient.lookup} of a URL: every Safe Browsing expression and the host are checked. */
  lookupUrl(url: string): Promise<Answer>;
  /** {@link ReputeClient.lookup} of a domain (its parents up to the registrable domain count). */
  lookupDomain(name: string): Promise<Answer>;
  /** {@link ReputeClient.lookup} of an IPv4/IPv6 address (its /24 or /64 counts) or a CIDR network. */
  lookupIp(address: string): Promise<Answer>;
  /**
   * Looks up many indicators, answered in input order. Invalid ones come back as
   * {@link InvalidItem}s; what the cache and filter cannot answer is sent in batches of 1000.
   * @throws {ReputeApiError} / {@link ReputeUnavailableError} as {@link ReputeClient.lookup}
   */
  lookupMany(indicators: readonly IndicatorInput[]): Promise<BatchResult[]>;
  /**
   * Looks up one indicator without revealing it: only the first 4 bytes of each candidate
   * digest the filter cannot rule out are sent, and the full digests are matched here. The
   * answer carries the verdict and the matching record, without score, reasons or dates.
   * MD5 and SHA-1 file hashes are not supported (their records are keyed by SHA-256).
   * @throws {ReputeClientError} `REPUTE_CLIENT_PREFIX_UNSUPPORTED` for an MD5 or SHA-1
   */
  lookupPrivately(kind: LookupKind, value: string): Promise<Answer>;
  /**
   * Brings the local filters up to date now (snapshots where missing, then the updates).
   * @throws {FilterVerificationError} when a snapshot fails verification (the old filter stays)
   */
  syncFilters(): Promise<void>;
  /** The local filters held, per kind. */
  filterStatus(): FilterStatus[];
  /** Counters: lookups, savedByFilter, cacheHits, remote, pending. */
  stats(): ClientStats;
  /** Items answered `pending`, waiting for the service. */
  pending(): PendingItem[];
  /**
   * Re-checks the pending items now (the background probe does this on its own).
   * @returns how many were confirmed
   */
  recheckPending(): Promise<number>;
  /** Calls `listener(item, answer)` when a pending item is confirmed; returns an unsubscribe function. */
  onResolved(listener: (item: PendingItem, answer: Answer) => void): () => void;
  /** Stops the timers and any waits; later calls throw `REPUTE_CLIENT_CLOSED`. */
  close(): Promise<void>;
}

type FilterState = 'negative' | 'maybe' | 'absent';

interface Unanswered {
  index: number;
  prepared: PreparedIndicator;
  filter: FilterState;
  stale: Answer | undefined;
}

function offlineOptions(option: ClientOptions['offline']): OfflineOptions | undefined {
  if (option === undefined || option === false) return undefined;
  return option === true ? {} : option;
}

/**
 * Creates a client. With `filters`, the filters start downloading at once (lookups before they
 * are loaded go to the service); with `offline`, a background probe re-checks pending items.
 * Timers are unref'd: an idle client does not keep the process alive, but call `close()`.
 * @example
 * const repute = createClient({ baseUrl: 'https://repute.example', apiKey, filters: { publicKey: pinnedPem }, offline: true });
 * const answer = await repute.lookupUrl('http://evil.example/login');
 * if (answer.verdict === 'malicious') block();
 */
export function createClient(options: ClientOptions): ReputeClient {
  if (typeof options.baseUrl !== 'string' || options.baseUrl === '') throw new TypeError('baseUrl is required');
  if (typeof options.apiKey !== 'string' || options.apiKey === '') throw new TypeError('apiKey is required');
  const closing = new AbortController();
  const transport: Transport = createTransport({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? 5000,
    retry: { attempts: options.retry?.attempts ?? 3, baseDelayMs: options.retry?.baseDelayMs ?? 100, maxDelayMs: options.retry?.maxDelayMs ?? 5000 },
    signal: closing.signal,
  });
  const cache = new AnswerCache(options.cache === false ? 0 : (options.cache?.maxEntries ?? 10_000));
  const offline = offlineOptions(options.offline);
  const pendingItems = new PendingSet(offline?.maxPending ?? 10_000);
  if (offline?.onResolved !== undefined) pendingItems.listen(offline.onResolved);
  const counters = { lookups: 0, savedByFilter: 0, cacheHits: 0, remote: 0 };
  const timers: NodeJS.Timeout[] = [];
  const filterOptions = options.filters === false ? undefined : options.filters;
  const filters: FilterSync | undefined = filterOptions === undefined ? undefined : createFilterSync({
    transport,
    kinds: filterOptions.kinds ?? LOOKUP_KINDS,
    publicKey: filterOptions.publicKey,
  });
  // Set when the service was found away: lookups answer locally at once instead of each
  // waiting out retries and timeouts, and the probe finds out when it is back.
  let down = false;
  let probe: NodeJS.Timeout | undefined;
  let rechecking: Promise<number> | undefined;

  if (filters !== undefined) {
    const quietly = (snapshots: boolean) => (): void => {
      if (down) return;
      filters.sync(snapshots).catch(noteFailure);
    };
    quietly(false)();
    const refresh = filterOptions?.refreshIntervalMs ?? 30_000;
    if (refresh > 0) timers.push(setInterval(quietly(false), refresh));
    const snapshots = filterOptions?.snapshotIntervalMs ?? 3_600_000;
    if (snapshots > 0) timers.push(setInterval(quietly(true), snapshots));
    for (const t of timers) t.unref();
  }

  function noteFailure(err: unknown): void {
    if (offline !== undefined && isUnavailable(err)) markDown();
  }

  function markDown(): void {
    down = true;
    startProbe();
  }

  function markUp(): void {
    down = false;
    if (pendingItems.size > 0) void recheck().catch(() => undefined);
  }

  function startProbe(): void {
    if (offline === undefined || probe !== undefined || closing.signal.aborted) return;
    probe = setInterval(() => {
      if (!down && pendingItems.size === 0) {
        clearInterval(probe);
        probe = undefined;
        return;
      }
      void recheck().catch(() => undefined);
    }, offline.probeIntervalMs ?? 5000);
    probe.unref();
  }

  function filterState(p: PreparedIndicator): FilterState {
    if (filters === undefined) return 'absent';
    let absent = false;
    for (const c of p.candidates) {
      const has = filters.mightHave(c.kind, c.digest);
      if (has === true) return 'maybe';
      if (has === undefined) absent = true;
      // A tenant's blocked range covers addresses no digest names.
      if (c.kind === 'ip' && c.role !== 'network' && filters.blockedAddress(c.label)) return 'maybe';
    }
    return absent ? 'absent' : 'negative';
  }

  function ensureOpen(): void {
    if (closing.signal.aborted) throw new ReputeClientError('REPUTE_CLIENT_CLOSED', 'the client was closed');
  }

  /** The cache, then the filter; undefined when the service must be asked. */
  function answerLocally(p: PreparedIndicator, now: number): { answer?: Answer; rest: Omit<Unanswered, 'index'> } {
    const cached = cache.get(cacheKey(p.kind, p.value), now);
    if (cached?.fresh === true) {
      counters.cacheHits++;
      return { answer: { ...cached.answer, source: 'cache' }, rest: { prepared: p, filter: 'absent', stale: undefined } };
    }
    const filter = filterState(p);
    if (filter === 'negative') {
      counters.savedByFilter++;
      // The filter itself is the cache of negatives: nothing to keep.
      return { answer: localUnknown(p.kind, p.value, 'filter', 'confirmed', 0), rest: { prepared: p, filter, stale: undefined } };
    }
    return { rest: { prepared: p, filter, stale: cached?.answer } };
  }

  function offlineAnswer(u: Omit<Unanswered, 'index'>, mode: PendingItem['mode']): Answer {
    const p = u.prepared;
    pendingItems.add({ kind: p.kind, value: p.value, mode });
    startProbe();
    if (u.stale !== undefined) return { ...u.stale, ttl: 0, status: 'pending', source: 'cache' };
    return { ...localUnknown(p.kind, p.value, 'offline', 'pending', 0), filterMatch: u.filter === 'maybe' };
  }

  function remember(r: RemoteAnswer): Answer {
    const now = Date.now();
    cache.set(cacheKey(r.answer.kind, r.answer.value), r.answer, r.cacheSeconds, now);
    pendingItems.resolve(r.answer.kind, r.answer.value, r.answer);
    return r.answer;
  }

  /** Runs a request, turning "service away" into offline answers when offline mode is on. */
  async function remotely<T>(run: () => Promise<T>, fallback: () => T): Promise<T> {
    if (down && offline !== undefined) return fallback();
    try {
      const out = await run();
      if (down) markUp();
      return out;
    } catch (err) {
      if (offline === undefined || !isUnavailable(err)) throw err;
      markDown();
      return fallback();
    }
  }

  async function lookup(kind: LookupKind, value: string): Promise<Answer> {
    ensureOpen();
    counters.lookups++;
    const p = prepareIndicator(kind, value);
    const local = answerLocally(p, Date.now());
    if (local.answer !== undefined) return local.answer;
    return await remotely(async () => {
      counters.remote++;
      return remember(await remoteOne(transport, p));
    }, () => offlineAnswer(local.rest, 'full'));
  }

  async function lookupMany(indicators: readonly IndicatorInput[]): Promise<BatchResult[]> {
    ensureOpen();
    const now = Date.now();
    const results: BatchResult[] = new Array(indicators.length);
    const unanswered: Unanswered[] = [];
    indicators.forEach((input, index) => {
      counters.lookups++;
      let p: PreparedIndicator;
      try {
        p = prepareIndicator(input.kind, input.value);
      } catch (err) {
        if (!isIndicatorError(err)) throw err;
        results[index] = { status: 'invalid', kind: String(input.kind), value: String(input.value), code: err.code, reason: err.message };
        return;
      }
      const local = answerLocally(p, now);
      if (local.answer !== undefined) results[index] = local.answer;
      else unanswered.push({ index, ...local.rest });
    });
    for (let i = 0; i < unanswered.length; i += MAX_BATCH) {
      const chunk = unanswered.slice(i, i + MAX_BATCH);
      const answered = await remotely(async () => {
        counters.remote += chunk.length;
        return (await remoteBatch(transport, chunk.map((u) => u.prepared))).map((r) => (isRemoteAnswer(r) ? remember(r) : r));
      }, () => chunk.map((u) => offlineAnswer(u, 'full')));
      chunk.forEach((u, j) => {
        results[u.index] = answered[j]!;
      });
    }
    return results;
  }

  function privateCandidates(p: PreparedIndicator): Candidate[] {
    if (p.kind === 'file' && p.candidates[0]?.role === 'alias') {
      throw new ReputeClientError('REPUTE_CLIENT_PREFIX_UNSUPPORTED', 'prefix lookups need a SHA-256: MD5 and SHA-1 records are aliases');
    }
    // Candidates the filter rules out are not even sent as prefixes.
    return filters === undefined ? p.candidates : p.candidates.filter((c) => filters.mightHave(c.kind, c.digest) !== false);
  }

  async function lookupPrivately(kind: LookupKind, value: string): Promise<Answer> {
    ensureOpen();
    counters.lookups++;
    const p = prepareIndicator(kind, value);
    const candidates = privateCandidates(p);
    const local = answerLocally(p, Date.now());
    if (local.answer !== undefined) return local.answer;
    return await remotely(async () => {
      counters.remote++;
      return remember(await remotePrivate(transport, p, candidates));
    }, () => offlineAnswer(local.rest, 'private'));
  }

  async function recheckOnce(): Promise<number> {
    const items = pendingItems.list();
    if (items.length === 0) {
      // Nothing to confirm: a cheap request tells whether the service is back.
      await transport.send({ path: '/healthz', attempts: 1 });
      return 0;
    }
    let resolved = 0;
    const full = items.filter((item) => item.mode === 'full');
    for (let i = 0; i < full.length; i += MAX_BATCH) {
      const chunk = full.slice(i, i + MAX_BATCH).map((item) => prepareIndicator(item.kind, item.value));
      counters.remote += chunk.length;
      for (const r of await remoteBatch(transport, chunk, 1)) {
        if (isRemoteAnswer(r)) {
          remember(r);
          resolved++;
        }
      }
    }
    for (const item of items.filter((it) => it.mode === 'private')) {
      const p = prepareIndicator(item.kind, item.value);
      counters.remote++;
      remember(await remotePrivate(transport, p, privateCandidates(p), 1));
      resolved++;
    }
    return resolved;
  }

  async function recheck(): Promise<number> {
    if (rechecking !== undefined) return await rechecking;
    rechecking = (async () => {
      try {
        const n = await recheckOnce();
        down = false;
        // Filters that failed to load while the service was away need not wait for the timer.
        if (filters !== undefined && filters.status().length < (filterOptions?.kinds ?? LOOKUP_KINDS).length) filters.sync().catch(noteFailure);
        return n;
      } catch (err) {
        if (isUnavailable(err)) down = true;
        throw err;
      }
    })();
    try {
      return await rechecking;
    } finally {
      rechecking = undefined;
    }
  }

  return {
    lookup,
    lookupFile: (hash) => lookup('file', hash),
    lookupUrl: (url) => lookup('url', url),
    lookupDomain: (name) => lookup('domain', name),
    lookupIp: (address) => lookup('ip', address),
    lookupMany,
    lookupPrivately,
    async syncFilters() {
      ensureOpen();
      if (filters === undefined) return;
      try {
        await filters.sync();
      } catch (err) {
        noteFailure(err);
        throw err;
      }
    },
    filterStatus: () => filters?.status() ?? [],
    stats: () => ({ ...counters, pending: pendingItems.size }),
    pending: () => pendingItems.list(),
    recheckPending: async () => {
      ensureOpen();
      return await recheck();
    },
    onResolved: (listener: ResolvedListener) => pendingItems.listen(listener),
    async close() {
      closing.abort();
      for (const t of timers) clearInterval(t);
      if (probe !== undefined) clearInterval(probe);
      probe = undefined;
      await rechecking?.catch(() => undefined);
    },
  };
}
