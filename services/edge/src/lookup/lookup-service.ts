import { decodeRecord, VERDICT_RANK, type ReputationRecord, type Verdict } from '@repute/core';
import type { OverlayEntry, ReputationStore } from '@repute/store';
import type { Candidate, CandidateRole, PreparedLookup } from './candidates.ts';
import type { FilterSet } from './filter-set.ts';
import type { OverlaySet } from './overlay-set.ts';
import type { CachedValue, RecordCache } from './record-cache.ts';

/** The answer to one lookup, before it is shaped for HTTP. */
export interface LookupResult {
  verdict: Verdict;
  /** The record that decided the verdict (for URLs, the matching expression's record). */
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

function keyOf(c: Candidate): string {
  return c.alias !== undefined ? `rep:alias:${c.alias}:${c.label}` : `rep:${c.kind}:${c.digest.toString('hex')}`;
}

/**
 * Answers lookups: filter first (a negative never reaches Redis), then the in-process cache,
 * then one batched Redis read for everything still open (a second one only to follow MD5/SHA-1
 * aliases), then the tenant overlay. Worst verdict wins across a lookup's records.
 */
export class LookupService {
  private readonly o: LookupServiceOptions;

  constructor(options: LookupServiceOptions) {
    this.o = options;
  }

  async lookup(items: readonly (PreparedLookup | null)[], tenant: string | undefined): Promise<(LookupResult | null)[]> {
    const { filters, cache, hooks } = this.o;
    const resolved = new Map<string, Resolved>();
    const keysPerItem: (string[] | null)[] = [];
    const open: string[] = [];
    let stale = false;
    const redisUp = this.o.redisReady();
    // Counted locally and reported once: a labelled counter per candidate costs more than the filter.
    const negatives = new Map<string, number>();
    let cacheHits = 0;

    for (const item of items) {
      if (item === null) {
        keysPerItem.push(null);
        continue;
      }
      const keys: string[] = [];
      for (const c of item.candidates) {
        if (!filters.mightHave(c.kind, c.digest)) {
          negatives.set(c.kind, (negatives.get(c.kind) ?? 0) + 1);
          keys.push('');
          continue;
        }
        const key = keyOf(c);
        keys.push(key);
        if (resolved.has(key)) continue;
        const hit = cache.get(key, !redisUp);
        if (hit !== undefined) {
          cacheHits++;
          resolved.set(key, hit);
        } else {
          resolved.set(key, UNRESOLVED);
          open.push(key);
        }
      }
      keysPerItem.push(keys);
    }

    for (const [kind, n] of negatives) hooks.onFilterNegative(kind, n);
    if (cacheHits > 0) hooks.onCacheHit(cacheHits);
    if (open.length > 0) stale = !(await this.fetch(open, resolved, redisUp));

    // MD5/SHA-1 aliases resolve to a SHA-256 record: follow them in one more read.
    const follow: string[] = [];
    for (const [key, value] of resolved) {
      if (typeof value !== 'string') continue;
      const target = `rep:file:${value}`;
      if (resolved.has(target)) continue;
      const hit = cache.get(target, !redisUp);
      if (hit !== undefined) resolved.set(target, hit);
      else {
        resolved.set(target, UNRESOLVED);
        follow.push(target);
      }
      void key;
    }
    if (follow.length > 0 && !(await this.fetch(follow, resolved, redisUp))) stale = true;

    const out: (LookupResult | null)[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const keys = keysPerItem[i];
      if (item == null || keys == null) {
        out.push(null);
        continue;
      }
      out.push(this.combine(item, keys, resolved, tenant, stale));
    }
    return out;
  }

  /** Reads keys from Redis into `resolved` and the cache; false when Redis could not answer. */
  private async fetch(keys: string[], resolved: Map<string, Resolved>, redisUp: boolean): Promise<boolean> {
    if (!redisUp) return false;
    const { store, cache, hooks } = this.o;
    let raw: (string | null)[];
    try {
      hooks.onRedisRoundTrip();
      raw = await store.getManyRaw(keys);
    } catch (err) {
      hooks.onRedisError(err as Error);
      return false;
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const text = raw[i] ?? null;
      let value: CachedValue = null;
      if (text !== null) {
        if (key.startsWith('rep:alias:')) value = text;
        else {
          try {
            value = decodeRecord(text);
          } catch (err) {
            hooks.onRedisError(err as Error);
            value = null;
          }
        }
      }
      resolved.set(key, value);
      cache.set(key, value, text?.length ?? 0);
    }
    return true;
  }

  private combine(item: PreparedLookup, keys: string[], resolved: Map<string, Resolved>, tenant: string | undefined, stale: boolean): LookupResult {
    let best: ReputationRecord | null = null;
    let matched: Candidate | null = null;
    let degraded = false;
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j]!;
      if (key === '') continue;
      let value = resolved.get(key);
      if (typeof value === 'string') value = resolved.get(`rep:file:${value}`);
      if (value === UNRESOLVED || value === undefined) {
        degraded = true;
        continue;
      }
      if (value === null || typeof value === 'string') continue;
      if (best === null || VERDICT_RANK[value.verdict] > VERDICT_RANK[best.verdict]) {
        best = value;
        matched = item.candidates[j]!;
      }
    }
    const overlay = this.o.overlays.match(tenant, item.probes, item.ipBytes);
    let verdict: Verdict = best?.verdict ?? 'unknown';
    if (overlay !== null) verdict = overlay.list === 'block' ? 'malicious' : 'clean';
    const ttl = best !== null ? best.ttl || this.o.defaultTtl : overlay !== null ? this.o.defaultTtl : this.o.unknownTtl;
    return {
      verdict,
      record: best,
      matched: matched === null ? null : { kind: matched.kind, value: matched.label, role: matched.role },
      overlay,
      degraded: degraded || (stale && best === null && overlay === null && keys.some((k) => k !== '')),
      ttl,
    };
  }
}
