import type { IndicatorKind } from './indicator-kind.ts';
import { isIndicatorKind } from './indicator-kind.ts';

/** A reputation verdict; `unknown` is an answer, not an error. */
export type Verdict = 'malicious' | 'suspicious' | 'clean' | 'unknown';

/**
 * Severity order of verdicts, and the rank a record stores: the higher rank wins when answers
 * are combined, so `unknown` (no evidence) ranks below `clean`. `@repute/verdicts` caps
 * verdicts by a different order (`CAP_ORDER`, `clean` below `unknown`): an allow list capped at
 * `unknown` must still let an indicator be called `clean`. Neither order can stand in for the
 * other; this one is also a stored format (record element 3), so it never changes.
 */
export const VERDICT_RANK: Readonly<Record<Verdict, number>> = Object.freeze({ unknown: 0, clean: 1, suspicious: 2, malicious: 3 });

/** Every {@link Verdict}, least severe first (the order of {@link VERDICT_RANK}). */
export const VERDICTS: readonly Verdict[] = Object.freeze(['unknown', 'clean', 'suspicious', 'malicious']);

/** The more severe of two verdicts (malicious > suspicious > clean > unknown). */
export function worstVerdict(a: Verdict, b: Verdict): Verdict {
  return VERDICT_RANK[b] > VERDICT_RANK[a] ? b : a;
}

/** Guard for {@link Verdict}. */
export function isVerdict(value: unknown): value is Verdict {
  return value === 'malicious' || value === 'suspicious' || value === 'clean' || value === 'unknown';
}

/** Why a verdict was reached: a rule id, its weight, and optionally an evidence count and a note. */
export interface Reason {
  rule: string;
  weight: number;
  evidence?: number;
  detail?: string;
}

/**
 * How one tenant sees an indicator when that differs from the global verdict: evidence from a
 * single tenant may convict in its own view while the global verdict stays lower.
 */
export interface TenantView {
  verdict: Verdict;
  /** 0-100. */
  score: number;
  /** 0-1. */
  confidence: number;
  reasons: Reason[];
}

/** Most tenant views one record may carry (they are for the few tenants that differ). */
export const MAX_TENANT_VIEWS = 64;

/** What Repute answers about an indicator. */
export interface ReputationRecord {
  kind: IndicatorKind;
  value: string;
  verdict: Verdict;
  /** 0-100. */
  score: number;
  /** 0-1. */
  confidence: number;
  categories: string[];
  /** Epoch milliseconds. */
  firstSeen: number;
  /** Epoch milliseconds, not before firstSeen. */
  lastSeen: number;
  prevalence: { sensors: number; tenants: number };
  reasons: Reason[];
  /** Monotonic per indicator: a writer never replaces a record with a lower version. */
  version: number;
  /** Seconds a client may cache the answer. */
  ttl: number;
  /**
   * By tenant id, the views of the tenants whose verdict differs from the global one (at most
   * {@link MAX_TENANT_VIEWS}). Only the views' own tenants may see them, and nothing published
   * (feeds, STIX, TAXII) uses them: read records through {@link recordForTenant}.
   */
  views?: Record<string, TenantView>;
}

/** Error for a record that cannot be encoded or decoded; `code` is `REPUTE_RECORD_INVALID`. */
export class RecordError extends Error {
  override readonly name = 'RecordError';
  readonly code = 'REPUTE_RECORD_INVALID';
  readonly status = 500;
  readonly title = 'Invalid reputation record';
  readonly retriable = false;
  constructor(problem: string, options?: { cause?: unknown }) {
    super(`invalid reputation record: ${problem}`, options);
  }
}

/** The first element of every encoded record; bump it when the positional layout changes. */
export const RECORD_FORMAT_VERSION = 1;

const LENGTH = 14;
const LENGTH_WITH_VIEWS = 15;

function check(condition: boolean, problem: string): asserts condition {
  if (!condition) throw new RecordError(problem);
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function isFiniteNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

function validate(record: ReputationRecord): void {
  check(isIndicatorKind(record.kind), 'kind must be file, url, domain, ip or email');
  check(typeof record.value === 'string' && record.value.length > 0, 'value must be a non-empty string');
  validateScoring(record, '');
  check(Array.isArray(record.categories) && record.categories.every((c) => typeof c === 'string'), 'categories must be strings');
  check(isCount(record.firstSeen) && isCount(record.lastSeen), 'firstSeen and lastSeen must be epoch milliseconds');
  check(record.lastSeen >= record.firstSeen, 'lastSeen is before firstSeen');
  check(typeof record.prevalence === 'object' && record.prevalence !== null, 'prevalence must be an object');
  check(isCount(record.prevalence.sensors) && isCount(record.prevalence.tenants), 'prevalence counts must be non-negative integers');
  check(isCount(record.version), 'version must be a non-negative integer');
  check(isCount(record.ttl), 'ttl must be a non-negative integer of seconds');
  if (record.views !== undefined) validateViews(record.views);
}

/** The fields a record and a tenant view share; `where` names the view in messages. */
function validateScoring(s: TenantView, where: string): void {
  check(isVerdict(s.verdict), `${where}verdict must be malicious, suspicious, clean or unknown`);
  check(isFiniteNumber(s.score) && s.score >= 0 && s.score <= 100, `${where}score must be 0-100`);
  check(isFiniteNumber(s.confidence) && s.confidence >= 0 && s.confidence <= 1, `${where}confidence must be 0-1`);
  check(Array.isArray(s.reasons), `${where}reasons must be an array`);
  for (const reason of s.reasons) {
    check(typeof reason === 'object' && reason !== null, `${where}a reason must be an object`);
    check(typeof reason.rule === 'string' && reason.rule.length > 0, `${where}a reason needs a rule id`);
    check(isFiniteNumber(reason.weight), `${where}a reason weight must be a finite number`);
    check(reason.evidence === undefined || isCount(reason.evidence), `${where}a reason evidence count must be a non-negative integer`);
    check(reason.detail === undefined || typeof reason.detail === 'string', `${where}a reason detail must be a string`);
  }
}

function validateViews(views: Record<string, TenantView>): void {
  check(typeof views === 'object' && views !== null && !Array.isArray(views), 'views must be an object of tenant views');
  const tenants = Object.keys(views);
  check(tenants.length <= MAX_TENANT_VIEWS, `at most ${MAX_TENANT_VIEWS} tenant views`);
  for (const tenant of tenants) {
    check(tenant.length > 0, 'a tenant view needs a tenant id');
    const view = views[tenant];
    check(typeof view === 'object' && view !== null, 'a tenant view must be an object');
    validateScoring(view, 'a tenant view: ');
  }
}

type EncodedReason = [string, number] | [string, number, number] | [string, number, number | null, string];
type EncodedView = [number, number, number, EncodedReason[]];

function encodeReasons(reasons: readonly Reason[]): EncodedReason[] {
  return reasons.map((r) => {
    if (r.detail !== undefined) return [r.rule, r.weight, r.evidence ?? null, r.detail];
    if (r.evidence !== undefined) return [r.rule, r.weight, r.evidence];
    return [r.rule, r.weight];
  });
}

/**
 * Serialises a record as a positional JSON array, format version first:
 * `[1, kind, value, verdictRank, score, confidence, categories, firstSeen, lastSeen, sensors,
 * tenants, reasons, version, ttl, views?]`, each reason `[rule, weight, evidence?, detail?]`.
 * The 15th element is optional and written only when the record has tenant views: an object
 * `{ tenant: [verdictRank, score, confidence, reasons] }`. Records without views keep the
 * 14 elements readers of format 1 have always read, so the format version stays 1.
 * @throws {RecordError} when the record breaks its own invariants.
 */
export function encodeRecord(record: ReputationRecord): string {
  validate(record);
  const fields: unknown[] = [
    RECORD_FORMAT_VERSION,
    record.kind,
    record.value,
    VERDICT_RANK[record.verdict],
    record.score,
    record.confidence,
    record.categories,
    record.firstSeen,
    record.lastSeen,
    record.prevalence.sensors,
    record.prevalence.tenants,
    encodeReasons(record.reasons),
    record.version,
    record.ttl,
  ];
  const views = record.views;
  if (views !== undefined) {
    const tenants = Object.keys(views);
    if (tenants.length > 0) {
      // fromEntries defines properties, so a tenant id such as "__proto__" stays a plain key.
      fields.push(Object.fromEntries(tenants.map((tenant): [string, EncodedView] => {
        const v = views[tenant]!;
        return [tenant, [VERDICT_RANK[v.verdict], v.score, v.confidence, encodeReasons(v.reasons)]];
      })));
    }
  }
  return JSON.stringify(fields);
}

/**
 * Parses what {@link encodeRecord} wrote (14 elements, or 15 with tenant views), validating
 * every field, the views included.
 * @throws {RecordError} `REPUTE_RECORD_INVALID` on anything else.
 */
export function decodeRecord(text: string): ReputationRecord {
  check(typeof text === 'string', 'encoded record must be a string');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new RecordError('not JSON', { cause });
  }
  check(Array.isArray(data), 'encoded record must be a JSON array');
  check(data[0] === RECORD_FORMAT_VERSION, `unsupported record format ${JSON.stringify(data[0])?.slice(0, 20)}`);
  check(data.length === LENGTH || data.length === LENGTH_WITH_VIEWS, `encoded record must have ${LENGTH} or ${LENGTH_WITH_VIEWS} fields`);
  const [, kind, value, rank, score, confidence, categories, firstSeen, lastSeen, sensors, tenants, rawReasons, version, ttl, rawViews] = data as unknown[];
  const record = {
    kind,
    value,
    verdict: verdictOf(rank),
    score,
    confidence,
    categories,
    firstSeen,
    lastSeen,
    prevalence: { sensors, tenants },
    reasons: decodeReasons(rawReasons),
    version,
    ttl,
  } as ReputationRecord;
  if (data.length === LENGTH_WITH_VIEWS) record.views = decodeViews(rawViews);
  validate(record);
  return record;
}

function verdictOf(rank: unknown): Verdict {
  check(typeof rank === 'number' && VERDICTS[rank] !== undefined, 'verdict rank must be 0-3');
  return VERDICTS[rank]!;
}

function decodeReasons(raw: unknown): Reason[] {
  check(Array.isArray(raw), 'reasons must be an array');
  return raw.map((entry: unknown) => {
    check(Array.isArray(entry) && entry.length >= 2 && entry.length <= 4, 'a reason must be [rule, weight, evidence?, detail?]');
    const reason: Reason = { rule: entry[0] as string, weight: entry[1] as number };
    if (entry.length >= 3 && entry[2] !== null) reason.evidence = entry[2] as number;
    if (entry.length === 4) reason.detail = entry[3] as string;
    return reason;
  });
}

function decodeViews(raw: unknown): Record<string, TenantView> {
  check(typeof raw === 'object' && raw !== null && !Array.isArray(raw), 'views must be an object of tenant views');
  const tenants = Object.keys(raw);
  check(tenants.length > 0, 'a 15th field must hold at least one tenant view');
  // Checked before any view is decoded: a record read on the lookup path stays bounded.
  check(tenants.length <= MAX_TENANT_VIEWS, `at most ${MAX_TENANT_VIEWS} tenant views`);
  return Object.fromEntries(tenants.map((tenant): [string, TenantView] => {
    const entry = (raw as Record<string, unknown>)[tenant];
    check(Array.isArray(entry) && entry.length === 4, 'a tenant view must be [verdictRank, score, confidence, reasons]');
    return [tenant, { verdict: verdictOf(entry[0]), score: entry[1] as number, confidence: entry[2] as number, reasons: decodeReasons(entry[3]) }];
  }));
}

/**
 * The record as `tenant` sees it: with that tenant's view (verdict, score, confidence, reasons)
 * in place of the global ones when it has one, and without `views` whoever asks, so no tenant
 * learns of another's view. `undefined` asks for the global record (feeds, STIX, TAXII). A
 * record without views is returned as it is.
 */
export function recordForTenant(record: ReputationRecord, tenant: string | undefined): ReputationRecord {
  const views = record.views;
  if (views === undefined) return record;
  const { views: _views, ...global } = record;
  const view = tenant !== undefined && Object.hasOwn(views, tenant) ? views[tenant] : undefined;
  if (view === undefined) return global;
  return { ...global, verdict: view.verdict, score: view.score, confidence: view.confidence, reasons: view.reasons };
}
