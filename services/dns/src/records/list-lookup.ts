import { candidateKey, lookupCandidates, recordKey, type LookupCandidate, type LookupCandidates, type LookupKind, type Verdict } from '@repute/core';
import { overlayProbes, type OverlayEntry } from '@repute/store';
import type { CachedValue, CacheSlot, KeyCache } from './key-cache.ts';
import type { KeyReader } from './key-reader.ts';
import type { FilterSet } from './filter-set.ts';
import { factsFor, type ListFacts } from './list-facts.ts';
import type { OverlaySet } from './overlay-set.ts';

/** What the lists say about one name, before it is shaped into DNS records. */
export interface ListVerdict {
  verdict: Verdict;
  /** The deciding record's facts as the tenant sees them (null when an overlay decided). */
  facts: ListFacts | null;
  overlay: OverlayEntry | null;
  /** The canonical value looked up (for the TXT's lookup link). */
  value: string;
  /** What the verdict rested on; null when what was read from Redis could not be cached. */
  basis: VerdictBasis | null;
}

/**
 * What a verdict was decided from, to tell later in a few reads whether it still stands: the
 * cache slots read (a slot dies when its key changes), the candidates a filter ruled out (a
 * record written since makes the filter say maybe), and the overlays' generation.
 */
export interface VerdictBasis {
  slots: CacheSlot[];
  negatives: LookupCandidate[];
  overlays: number;
}


export interface ListLookupOptions {
  filters: FilterSet;
  cache: KeyCache;
  reader: KeyReader;
  overlays: OverlaySet;
  onFilterNegative(): void;
  onCacheHit(): void;
}

/**
 * Decides a listed name from the same records, filters and overlays as the edge's lookups: the
 * records `lookupCandidates` names (an IP and its /24 or /64, a domain and its parents up to
 * the registrable domain, a hash and its alias), each read as the tenant sees it (its view when
 * it has one), the worst verdict winning; then the tenant's overlay, whose block wins over
 * everything and whose allow clears. Synchronous when every key is in the cache or ruled out by
 * a filter (most queries under load); rejects when Redis could not answer (SERVFAIL).
 */
export class ListLookup {
  private readonly o: ListLookupOptions;

  constructor(options: ListLookupOptions) {
    this.o = options;
  }

  /** @throws {IndicatorError} when the value is no indicator of the kind (NXDOMAIN). */
  decide(kind: LookupKind, value: string, tenant: string | undefined): ListVerdict | Promise<ListVerdict> {
    const prepared = lookupCandidates(kind, value);
    const keys: string[] = [];
    let negatives: LookupCandidate[] | null = null;
    for (const c of prepared.candidates) {
      if (!this.o.filters.mightHave(c.kind, c.digest)) {
        this.o.onFilterNegative();
        (negatives ??= []).push(c);
        continue;
      }
      const key = candidateKey(c);
      if (!keys.includes(key)) keys.push(key);
    }
    const values = new Map<string, CachedValue>();
    const slots: CacheSlot[] = [];
    let missing: string[] | null = null;
    for (const key of keys) {
      const hit = this.o.cache.slot(key);
      if (hit === undefined) (missing ??= []).push(key);
      else {
        this.o.onCacheHit();
        values.set(key, hit.value);
        slots.push(hit);
      }
    }
    if (missing === null) {
      const targets = this.aliasTargets(values, slots);
      if (targets === null) return this.combine(prepared, keys, values, tenant, { slots, negatives: negatives ?? [], overlays: this.o.overlays.generation });
      missing = targets;
    }
    return this.complete(prepared, keys, values, missing, tenant, negatives);
  }

  private async complete(prepared: LookupCandidates, keys: string[], values: Map<string, CachedValue>, missing: string[], tenant: string | undefined, negatives: LookupCandidate[] | null): Promise<ListVerdict> {
    await this.readInto(values, missing);
    const targets = this.aliasTargets(values, null);
    if (targets !== null) await this.readInto(values, targets);
    return this.combine(prepared, keys, values, tenant, this.basisOf(values, negatives));
  }

  /** The basis of values just read, when the cache holds every one of them as read (else null). */
  private basisOf(values: Map<string, CachedValue>, negatives: LookupCandidate[] | null): VerdictBasis | null {
    const slots: CacheSlot[] = [];
    for (const [key, value] of values) {
      const slot = this.o.cache.slot(key);
      if (slot === undefined || slot.value !== value) return null;
      slots.push(slot);
    }
    return { slots, negatives: negatives ?? [], overlays: this.o.overlays.generation };
  }

  /** Whether a verdict decided from `basis` would be decided the same way now. */
  holds(basis: VerdictBasis): boolean {
    if (basis.overlays !== this.o.overlays.generation) return false;
    for (const s of basis.slots) if (!s.live) return false;
    for (const c of basis.negatives) if (this.o.filters.mightHave(c.kind, c.digest)) return false;
    return true;
  }

  private async readInto(values: Map<string, CachedValue>, keys: readonly string[]): Promise<void> {
    const read = await Promise.all(keys.map((k) => this.o.reader.read(k)));
    keys.forEach((k, i) => { values.set(k, read[i]!); });
  }

  /** The SHA-256 records MD5/SHA-1 aliases point at that are not known yet (from the cache when held). */
  private aliasTargets(values: Map<string, CachedValue>, slots: CacheSlot[] | null): string[] | null {
    let open: string[] | null = null;
    for (const value of values.values()) {
      if (typeof value !== 'string') continue;
      const target = recordKey('file', value);
      if (values.has(target)) continue;
      const hit = this.o.cache.slot(target);
      if (hit !== undefined) {
        values.set(target, hit.value);
        slots?.push(hit);
      } else (open ??= []).push(target);
    }
    return open;
  }

  private combine(prepared: LookupCandidates, keys: readonly string[], values: Map<string, CachedValue>, tenant: string | undefined, basis: VerdictBasis | null): ListVerdict {
    let best: ListFacts | null = null;
    for (const key of keys) {
      let value = values.get(key);
      if (typeof value === 'string') value = values.get(recordKey('file', value));
      if (value === null || value === undefined || typeof value === 'string') continue;
      const seen = factsFor(value, tenant);
      if (best === null || seen.rank > best.rank) best = seen;
    }
    const overlay = tenant === undefined ? null : this.o.overlays.match(tenant, overlayProbes(prepared), prepared.ipBytes);
    let verdict: Verdict = best?.verdict ?? 'unknown';
    if (overlay !== null) verdict = overlay.list === 'block' ? 'malicious' : 'clean';
    return { verdict, facts: overlay === null ? best : null, overlay, value: prepared.value, basis };
  }
}

