import { candidateKey, decodeRecord, isAliasKey, uncheckedRecordKey, VERDICT_RANK, type ReputationRecord, type Verdict } from '@repute/core';
import type { OverlayEntry, ReputationStore } from '@repute/store';
import type { Candidate, CandidateRole, PreparedLookup } from './candidates.ts';
import type { FilterSet } from './filter-set.ts';
import type { OverlaySet } from './overlay-set.ts';
import type { CachedValue, RecordCache } from './record-cache.ts';
import { andThen, type MaybePromise } from './maybe-async.ts';
import { wholeLoop, type Slicer } from './slice-scheduler.ts';
import { edgeRecord, seenBy } from './tenant-records.ts';

/** The answer to one lookup, before it is shaped for HTTP. */
export interface LookupResult {
  verdict: Verdict;
  /**
   * The record that decided the verdict (for URLs, the matching expression's record), as the
   * asking tenant sees it: its own view's verdict, score, confidence and reasons when it has one.
   * Never carries `views`.
   */
  record: ReputationRecord | null;
  matched: { kind: string; value: string; role: CandidateRole } | null;
  overlay: OverlayEntry | null;
  /** True when some record could not be read (Redis away) and the answer may be incomplete. */
  degraded: boolean;
  ttl: number;
}

/** Counters the lookup path reports (wired to prom-client by the service). */
export interface LookupHooks {
  onFilterNegative(kind: string, count: number): void;
  onCacheHit(count: number): void;
  onRedisRoundTrip(): void;
  onRedisError(err: Error): void;
}

export interface LookupServiceOptions {
  store: ReputationStore;
  filters: FilterSet;
  cache: RecordCache;
  overlays: OverlaySet;
  hooks: LookupHooks;
  /** Whether Redis is connected now; when not, lookups skip it instead of waiting. */
  redisReady(): boolean;
  defaultTtl: number;
  unknownTtl: number;
}

const UNRESOLVED = Symbol('unresolved');
type Resolved = CachedValue | typeof UNRESOLVED;

/** Per-lookup state between planning and combining. */
interface Plan {
  resolved: Map<string, Resolved>;
  keysPerItem: (string[] | null)[];
  open: string[];
  redisUp: boolean;
  cacheHits: number;
}

/**
 * Answers lookups: filter first (a negative never reaches Redis), then the in-process cache,
 * then one batched Redis read for everything still open (a second one only to follow MD5/SHA-1
 * aliases), then the tenant overlay. Worst verdict wins across a lookup's records, each record
 * read as the asking tenant sees it (its view, when the record carries one for that tenant).
 *
 * `answer` and `answerOne` return synchronously when no Redis read is needed (filter
 * negatives and cache hits, most traffic): a promise per request is measurable on this path.
 */
export class LookupService {
  private readonly o: LookupServiceOptions;
  private readonly unknownResult: LookupResult;

  constructor(options: LookupServiceOptions) {
    this.o = options;
    this.unknownResult = Object.freeze({ verdict: 'unknown', record: null, matched: null, overlay: null, degraded: false, ttl: options.unknownTtl }) as LookupResult;
  }

  /** The answer to a lookup whose every record the filters ruled out and no overlay matched. */
  get unknown(): LookupResult {
    return this.unknownResult;
  }

  /** Whether the tenant has an overlay (whose entries may decide even filter negatives). */
  hasOverlay(tenant: string | undefined): boolean {
    return this.o.overlays.has(tenant);
  }

  /** Counts filter negatives decided outside this service (the batch fast path). */
  countNegatives(kind: string, n: number): void {
    this.o.hooks.onFilterNegative(kind, n);
  }

  async lookup(items: readonly (PreparedLookup | null)[], tenant: string | undefined): Promise<(LookupResult | null)[]> {
    return await this.answer(items, tenant);
  }

  /** One lookup: synchronous unless a record must be read from Redis. */
  answerOne(item: PreparedLookup, tenant: string | undefined): LookupResult | Promise<LookupResult> {
    const { filters, hooks } = this.o;
    const candidates = item.candidates;
    let positive = false;
    for (let j = 0; j < candidates.length; j++) {
      const c = candidates[j]!;
      if (filters.mightHave(c.kind, c.digest)) positive = true;
      else hooks.onFilterNegative(c.kind, 1);
    }
    if (!positive) {
      const overlay = this.o.overlays.match(tenant, item.probes, item.ipBytes);
      return overlay === null ? this.unknownResult : this.combine(item, candidates.map(() => ''), new Map(), tenant, false);
    }
    const plan = this.plan([item], false);
    const done = (stale: boolean): LookupResult => this.combine(item, plan.keysPerItem[0]!, plan.resolved, tenant, stale);
    const follow = plan.open.length === 0 ? this.followAliases(plan) : null;
    if (plan.open.length === 0 && follow === null) return done(false);
    return this.complete(plan, follow).then(done);
  }

  /**
   * Many lookups (null items stay null): synchronous unless a record must be read from Redis.
   * `slices` runs the per-item work (planning, combining) in slices; the Redis read stays one.
   */
  answer(items: readonly (PreparedLookup | null)[], tenant: string | undefined, slices: Slicer = wholeLoop): MaybePromise<(LookupResult | null)[]> {
    const plan = this.newPlan(items.length);
    const combined = (stale: boolean): MaybePromise<(LookupResult | null)[]> => {
      const out: (LookupResult | null)[] = new Array(items.length);
      const done = slices(items.length, (from, to) => {
        for (let i = from; i < to; i++) {
          const item = items[i];
          const keys = plan.keysPerItem[i];
          out[i] = item == null || keys == null ? null : this.combine(item, keys, plan.resolved, tenant, stale);
        }
      });
      return done === undefined ? out : done.then(() => out);
    };
    const planned = slices(items.length, (from, to) => this.planItems(plan, items, from, to, true));
    return andThen(planned, () => {
      if (plan.cacheHits > 0) this.o.hooks.onCacheHit(plan.cacheHits);
      const follow = plan.open.length === 0 ? this.followAliases(plan) : null;
      if (plan.open.length === 0 && follow === null) return combined(false);
      return this.complete(plan, follow).then(combined);
    });
  }

  private plan(items: readonly (PreparedLookup | null)[], countNegatives: boolean): Plan {
    const plan = this.newPlan(items.length);
    this.planItems(plan, items, 0, items.length, countNegatives);
    if (plan.cacheHits > 0) this.o.hooks.onCacheHit(plan.cacheHits);
    return plan;
  }

  private newPlan(n: number): Plan {
    return { resolved: new Map(), keysPerItem: new Array(n), open: [], redisUp: this.o.redisReady(), cacheHits: 0 };
  }

  /** Resolves the keys of items [from, to) from the cache, leaving the rest open for one read. */
  private planItems(plan: Plan, items: readonly (PreparedLookup | null)[], from: number, to: number, countNegatives: boolean): void {
    const { filters, cache, hooks } = this.o;
    const { resolved, keysPerItem, open, redisUp } = plan;
    for (let i = from; i < to; i++) {
      const item = items[i];
      if (item == null) {
        keysPerItem[i] = null;
        continue;
      }
      const keys: string[] = new Array(item.candidates.length);
      for (let j = 0; j < item.candidates.length; j++) {
        const c = item.candidates[j]!;
        if (!filters.mightHave(c.kind, c.digest)) {
          if (countNegatives) hooks.onFilterNegative(c.kind, 1);
          keys[j] = '';
          continue;
        }
        const key = candidateKey(c);
        keys[j] = key;
        if (resolved.has(key)) continue;
        const hit = cache.get(key, !redisUp);
        if (hit !== undefined) {
          plan.cacheHits++;
          resolved.set(key, hit);
        } else {
          resolved.set(key, UNRESOLVED);
          open.push(key);
        }
      }
      keysPerItem[i] = keys;
    }
  }

  /**
   * MD5/SHA-1 aliases resolve to a SHA-256 record: resolves their targets from the cache and
   * returns the keys still to read (null when none).
   */
  private followAliases(plan: Plan): string[] | null {
    const { cache } = this.o;
    let follow: string[] | null = null;
    for (const value of plan.resolved.values()) {
      if (typeof value !== 'string') continue;
      const target = uncheckedRecordKey('file', value);
      if (plan.resolved.has(target)) continue;
      const hit = cache.get(target, !plan.redisUp);
      if (hit !== undefined) plan.resolved.set(target, hit);
      else {
        plan.resolved.set(target, UNRESOLVED);
        (follow ??= []).push(target);
      }
    }
    return follow;
  }

  /**
   * Reads what the plan left open, then the alias targets still unknown (`follow`, when the
   * aliases came from the cache, or those the first read revealed); true when stale.
   */
  private async complete(plan: Plan, follow: string[] | null): Promise<boolean> {
    let stale = false;
    let targets = follow;
    if (plan.open.length > 0) {
      stale = !(await this.fetch(plan.open, plan.resolved, plan.redisUp));
      targets = this.followAliases(plan);
    }
    if (targets !== null && !(await this.fetch(targets, plan.resolved, plan.redisUp))) stale = true;
    return stale;
  }

  /**
   * Reads keys into `resolved` (and the cache); false when Redis could not answer. A key already
   * being read for another lookup is not read again: hot indicators (an outbreak hash asked by
   * every agent at once) would otherwise cost one round trip per concurrent request until the
   * first answer fills the cache.
   */
  private async fetch(keys: string[], resolved: Map<string, Resolved>, redisUp: boolean): Promise<boolean> {
    if (!redisUp) return false;
    const inflight = this.o.cache.inflight;
    let fresh: string[] = keys;
    let shared: [string, Promise<Map<string, CachedValue> | null>][] | null = null;
    if (inflight.size > 0) {
      fresh = [];
      for (const key of keys) {
        const pending = inflight.get(key);
        if (pending !== undefined) (shared ??= []).push([key, pending]);
        else fresh.push(key);
      }
    }
    let ok = true;
    if (fresh.length > 0) {
      const read = this.read(fresh);
      for (const key of fresh) inflight.set(key, read);
      let values: Map<string, CachedValue> | null;
      try {
        values = await read;
      } finally {
        for (const key of fresh) if (inflight.get(key) === read) inflight.delete(key);
      }
      if (values === null) ok = false;
      else for (const key of fresh) resolved.set(key, values.get(key) ?? null);
    }
    if (shared !== null) {
      for (const [key, pending] of shared) {
        const values = await pending;
        if (values === null) ok = false;
        else resolved.set(key, values.get(key) ?? null);
      }
    }
    return ok;
  }

  /** One Redis read of `keys`, decoded and cached; null when Redis could not answer. */
  private async read(keys: string[]): Promise<Map<string, CachedValue> | null> {
    const { store, cache, hooks } = this.o;
    let raw: (string | null)[];
    const readEpoch = cache.beginRead();
    try {
      hooks.onRedisRoundTrip();
      raw = await store.getManyRaw(keys);
    } catch (err) {
      cache.endRead();
      hooks.onRedisError(err as Error);
      return null;
    }
    const values = new Map<string, CachedValue>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const text = raw[i] ?? null;
      let value: CachedValue = null;
      if (text !== null) {
        if (isAliasKey(key)) value = text;
        else {
          try {
            value = edgeRecord(decodeRecord(text));
          } catch (err) {
            hooks.onRedisError(err as Error);
            value = null;
          }
        }
      }
      values.set(key, value);
      cache.setFromRead(key, value, text?.length ?? 0, readEpoch);
    }
    cache.endRead();
    return values;
  }

  private combine(item: PreparedLookup, keys: string[], resolved: Map<string, Resolved>, tenant: string | undefined, stale: boolean): LookupResult {
    let best: ReputationRecord | null = null;
    let matched: Candidate | null = null;
    let degraded = false;
    let consulted = false;
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j]!;
      if (key === '') continue;
      consulted = true;
      let value = resolved.get(key);
      if (typeof value === 'string') value = resolved.get(uncheckedRecordKey('file', value));
      if (value === UNRESOLVED || value === undefined) {
        degraded = true;
        continue;
      }
      if (value === null || typeof value === 'string') continue;
      const seen = seenBy(value, tenant);
      if (best === null || VERDICT_RANK[seen.verdict] > VERDICT_RANK[best.verdict]) {
        best = seen;
        matched = item.candidates[j]!;
      }
    }
    const overlay = this.o.overlays.match(tenant, item.probes, item.ipBytes);
    degraded ||= stale && best === null && overlay === null && consulted;
    if (best === null && overlay === null && !degraded) return this.unknownResult;
    let verdict: Verdict = best?.verdict ?? 'unknown';
    if (overlay !== null) verdict = overlay.list === 'block' ? 'malicious' : 'clean';
    const ttl = best !== null ? best.ttl || this.o.defaultTtl : overlay !== null ? this.o.defaultTtl : this.o.unknownTtl;
    return {
      verdict,
      record: best,
      matched: matched === null ? null : { kind: matched.kind, value: matched.label, role: matched.role },
      overlay,
      degraded,
      ttl,
    };
  }
}
