import { indicatorSyntaxProblem, isIndicatorError, isIndicatorKind } from '@repute/core';
import type { DigestFilter } from '@repute/store';
import { prepareLookup, type PreparedLookup } from './candidates.ts';
import { fileDigest } from './file-digest.ts';
import type { FilterSet } from './filter-set.ts';
import type { MaybePromise } from './maybe-async.ts';
import { wholeLoop, type Slicer } from './slice-scheduler.ts';

/** Longest `value` a batch item may carry (a URL can be long; beyond this nothing is one). */
export const MAX_VALUE_LENGTH = 16384;

/** Why a batch item could not be looked up. */
export interface InvalidItem {
  kind: string | undefined;
  reason: string;
  code: string;
}

/** What became of each item of a batch, by index. */
export interface PreparedBatch {
  /** Items that need the lookup service (a filter positive, or an overlay to consult). */
  prepared: (PreparedLookup | null)[];
  /** Items that cannot be looked up. */
  invalid: (InvalidItem | null)[];
  /** Items every record of which the filters ruled out, with no overlay to consult: unknown. */
  negatives: number;
  /** Filter negatives by record kind, for the metrics. */
  negativesByKind: Record<string, number>;
}

const BAD_ITEM = 'REPUTE_EDGE_BAD_ITEM';

/** A value outside its kind's API syntax (INDICATOR_SYNTAX); the message is the reason. */
export class IndicatorSyntaxError extends Error {
  readonly code = 'REPUTE_INDICATOR_SYNTAX';
}

/** Why an indicator was refused, as a code and a reason: the same for a batch item and a single lookup. */
export function invalidReason(kind: string, err: unknown): { code: string; reason: string } {
  if (err instanceof IndicatorSyntaxError) return { code: err.code, reason: `value ${err.message}` };
  return { code: isIndicatorError(err) ? err.code : 'REPUTE_INDICATOR_INVALID', reason: isIndicatorError(err) ? err.message : 'not a valid indicator' };
}

/** The invalid-item answer for an indicator refused by its syntax or its parser. */
export function invalidIndicator(kind: string, err: unknown): InvalidItem {
  return { kind, ...invalidReason(kind, err) };
}

function unservedKind(kind: string): InvalidItem {
  return {
    kind: kind.slice(0, 32),
    code: isIndicatorKind(kind) ? 'REPUTE_EDGE_KIND_NOT_SERVED' : 'REPUTE_INDICATOR_UNKNOWN_KIND',
    reason: `kind must be file, url, domain or ip, got ${JSON.stringify(kind.slice(0, 32))}`,
  };
}

/**
 * Validates and prepares a batch's items in one pass. Each item is checked by hand (the body
 * schema only checks the top-level shape), so a bad item is answered as invalid while the
 * others are still looked up. File hashes take a fast path: the digest is decoded straight
 * from the hex and probed, and the candidate objects and key strings are built only for a
 * filter positive. Other kinds are canonicalised, then dropped here when the filters rule out
 * every record they could match.
 *
 * `probeHere` is false when the tenant has an overlay: its entries can decide an item the
 * filters ruled out, so every valid item then goes to the lookup service.
 *
 * `slices` runs the items in slices (see SliceScheduler); the result is then a promise.
 */
export function prepareBatch(items: readonly unknown[], filters: FilterSet, probeHere: boolean, slices: Slicer = wholeLoop): MaybePromise<PreparedBatch> {
  const n = items.length;
  const batch: PreparedBatch = {
    prepared: new Array<PreparedLookup | null>(n).fill(null),
    invalid: new Array<InvalidItem | null>(n).fill(null),
    negatives: 0,
    negativesByKind: { file: 0, url: 0, domain: 0, ip: 0 },
  };
  const digest = Buffer.allocUnsafe(32);
  const done = slices(n, (from, to) => {
    // Read per slice: a rebuild installs a new filter object, and the stream adds to that one.
    // A kind without a loaded filter cannot rule anything out: its items take the full path.
    const fileFilter = probeHere ? filters.filter('file') : undefined;
    for (let i = from; i < to; i++) prepareItem(batch, i, items[i], filters, fileFilter, probeHere, digest);
  });
  return done === undefined ? batch : done.then(() => batch);
}

function prepareItem(batch: PreparedBatch, i: number, item: unknown, filters: FilterSet, fileFilter: DigestFilter | undefined, probeHere: boolean, digest: Buffer): void {
  const { invalid, negativesByKind } = batch;
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    invalid[i] = { kind: undefined, reason: 'an indicator must be an object with "kind" and "value"', code: BAD_ITEM };
    return;
  }
  const { kind, value } = item as { kind?: unknown; value?: unknown };
  if (typeof kind !== 'string') {
    invalid[i] = { kind: undefined, reason: 'kind must be a string', code: BAD_ITEM };
    return;
  }
  if (kind !== 'file' && kind !== 'url' && kind !== 'domain' && kind !== 'ip') {
    invalid[i] = unservedKind(kind);
    return;
  }
  if (typeof value !== 'string') {
    invalid[i] = { kind, reason: 'value must be a string', code: BAD_ITEM };
    return;
  }
  if (value.length > MAX_VALUE_LENGTH) {
    invalid[i] = { kind, reason: `value must be at most ${MAX_VALUE_LENGTH} characters`, code: 'REPUTE_INDICATOR_TOO_LONG' };
    return;
  }
  // A bare hex MD5, SHA-1 or SHA-256 is the whole file syntax: once the digest decoded, the
  // syntax check (a regular expression that costs more than the probe) has nothing to add.
  const hexHash = kind === 'file' && fileDigest(value, digest);
  if (hexHash && fileFilter !== undefined && !fileFilter.has(digest)) {
    batch.negatives++;
    negativesByKind['file'] = (negativesByKind['file'] ?? 0) + 1;
    return;
  }
  const problem = hexHash ? null : indicatorSyntaxProblem(kind, value);
  if (problem !== null) {
    invalid[i] = invalidIndicator(kind, new IndicatorSyntaxError(problem));
    return;
  }
  let p: PreparedLookup;
  try {
    p = prepareLookup(kind, value);
  } catch (err) {
    invalid[i] = invalidIndicator(kind, err);
    return;
  }
  if (probeHere) {
    let positive = false;
    for (const c of p.candidates) {
      if (filters.mightHave(c.kind, c.digest)) {
        positive = true;
        break;
      }
    }
    if (!positive) {
      batch.negatives++;
      for (const c of p.candidates) negativesByKind[c.kind] = (negativesByKind[c.kind] ?? 0) + 1;
      return;
    }
  }
  batch.prepared[i] = p;
}
