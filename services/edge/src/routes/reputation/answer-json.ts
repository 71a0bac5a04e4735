import type { ReputationRecord } from '@repute/core';
import type { LookupResult } from '../../lookup/lookup-service.ts';

// Answers are written as JSON text by hand, field for field what the response schemas in
// schemas.ts declare (and nothing else): on the lookup path the schema serialiser plus the
// intermediate answer object cost more than the lookup, and in a batch most items are a
// constant. The record part of a hit is kept per record object, since cached records repeat.
// A record with tenant views arrives as the asking tenant's record (see tenant-records.ts): a
// view's tenant gets its own object, so its fragment is cached apart, and no field written
// here names or hints at another tenant's view.

const str = JSON.stringify as (value: string) => string;

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : '0';
}

function int(n: number): string {
  return Number.isFinite(n) ? String(Math.trunc(n)) : '0';
}

function time(ms: number): string {
  return `"${new Date(ms).toISOString()}"`;
}

const fragments = new WeakMap<ReputationRecord, string>();

/**
 * `"score":…,"confidence":…,"categories":[…],"first_seen":…,"last_seen":…,"prevalence":{…},"reasons":[…]`.
 * Seen by fewer than `k` tenants, the record's counts are withheld (prevalence says only
 * "fewer than k", reasons carry no evidence counts): a count across tenants would tell a
 * tenant what few others saw. (`k` is one per process, so the cached fragment stays right.)
 */
function recordFragment(r: ReputationRecord, k: number): string {
  let out = fragments.get(r);
  if (out !== undefined) return out;
  const withheld = r.prevalence.tenants < k;
  const reasons = r.reasons.map((reason) => {
    let s = `{"rule":${str(String(reason.rule))},"weight":${num(reason.weight)}`;
    if (reason.evidence !== undefined && !withheld) s += `,"evidence":${int(reason.evidence)}`;
    if (reason.detail !== undefined) s += `,"detail":${str(String(reason.detail))}`;
    return `${s}}`;
  });
  out = `"score":${num(r.score)},"confidence":${num(r.confidence)},"categories":[${r.categories.map((c) => str(String(c))).join(',')}],`
    + `"first_seen":${time(r.firstSeen)},"last_seen":${time(r.lastSeen)},`
    + (withheld ? `"prevalence":{"suppressed":true,"fewer_than":${int(k)}}` : `"prevalence":{"sensors":${int(r.prevalence.sensors)},"tenants":${int(r.prevalence.tenants)}}`)
    + `,"reasons":[${reasons.join(',')}]`;
  fragments.set(r, out);
  return out;
}

const NO_RECORD = '"categories":[],"first_seen":null,"last_seen":null,"reasons":[]';

/** The record fields of an answer (`recordFields` in schemas.ts), without braces. */
export function answerFieldsJson(result: LookupResult, k: number): string {
  let s = `"verdict":"${result.verdict}",${result.record === null ? NO_RECORD : recordFragment(result.record, k)}`;
  const m = result.matched;
  if (m !== null) s += `,"matched":{"kind":"${m.kind}","value":${str(m.value)},"role":"${m.role}"}`;
  const o = result.overlay;
  if (o !== null) s += `,"overlay":{"list":"${o.list}","kind":"${o.kind}","value":${str(o.value)}${o.note !== undefined ? `,"note":${str(o.note)}` : ''}}`;
  return `${s},"ttl":${int(result.ttl)}`;
}

/** A single lookup's answer (`Answer` in schemas.ts); `asOf` is already JSON. */
export function answerJson(kind: string, value: string, result: LookupResult, asOf: string, k: number): string {
  return `{"kind":"${kind}","value":${str(value)},${answerFieldsJson(result, k)},"as_of":${asOf},"degraded":${result.degraded}}`;
}

/** The most common answer, an unknown file hash (value is lower-case hex, no escaping needed). */
export function unknownFileJson(hex: string, ttl: string, asOf: string): string {
  return `{"kind":"file","value":"${hex}","verdict":"unknown",${NO_RECORD},"ttl":${ttl},"as_of":${asOf},"degraded":false}`;
}

export const UNKNOWN_ITEM = '{"status":"unknown"}';

/** A batch item that was answered with a record or an overlay (`BatchItem` in schemas.ts). */
export function foundItemJson(kind: string, value: string, result: LookupResult, k: number): string {
  return `{"status":"found","kind":"${kind}","value":${str(value)},${answerFieldsJson(result, k)}}`;
}

/** A batch item that could not be looked up. */
export function invalidItemJson(kind: string | undefined, reason: string, code: string): string {
  return `{"status":"invalid",${kind !== undefined ? `"kind":${str(kind)},` : ''}"reason":${str(reason)},"code":${str(code)}}`;
}
