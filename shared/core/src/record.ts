import type { IndicatorKind } from './indicator-kind.ts';
import { isIndicatorKind } from './indicator-kind.ts';

/** A reputation verdict; `unknown` is an answer, not an error. */
export type Verdict = 'malicious' | 'suspicious' | 'clean' | 'unknown';

/** Severity order of verdicts: the higher rank wins when answers are combined. */
export const VERDICT_RANK: Readonly<Record<Verdict, number>> = Object.freeze({ unknown: 0, clean: 1, suspicious: 2, malicious: 3 });

const VERDICTS: readonly Verdict[] = ['unknown', 'clean', 'suspicious', 'malicious'];

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
  check(isVerdict(record.verdict), 'verdict must be malicious, suspicious, clean or unknown');
  check(isFiniteNumber(record.score) && record.score >= 0 && record.score <= 100, 'score must be 0-100');
  check(isFiniteNumber(record.confidence) && record.confidence >= 0 && record.confidence <= 1, 'confidence must be 0-1');
  check(Array.isArray(record.categories) && record.categories.every((c) => typeof c === 'string'), 'categories must be strings');
  check(isCount(record.firstSeen) && isCount(record.lastSeen), 'firstSeen and lastSeen must be epoch milliseconds');
  check(record.lastSeen >= record.firstSeen, 'lastSeen is before firstSeen');
  check(typeof record.prevalence === 'object' && record.prevalence !== null, 'prevalence must be an object');
  check(isCount(record.prevalence.sensors) && isCount(record.prevalence.tenants), 'prevalence counts must be non-negative integers');
  check(Array.isArray(record.reasons), 'reasons must be an array');
  for (const reason of record.reasons) {
    check(typeof reason === 'object' && reason !== null, 'a reason must be an object');
    check(typeof reason.rule === 'string' && reason.rule.length > 0, 'a reason needs a rule id');
    check(isFiniteNumber(reason.weight), 'a reason weight must be a finite number');
    check(reason.evidence === undefined || isCount(reason.evidence), 'a reason evidence count must be a non-negative integer');
    check(reason.detail === undefined || typeof reason.detail === 'string', 'a reason detail must be a string');
  }
  check(isCount(record.version), 'version must be a non-negative integer');
  check(isCount(record.ttl), 'ttl must be a non-negative integer of seconds');
}

type EncodedReason = [string, number] | [string, number, number] | [string, number, number | null, string];

/**
 * Serialises a record as a positional JSON array, format version first:
 * `[1, kind, value, verdictRank, score, confidence, categories, firstSeen, lastSeen, sensors,
 * tenants, reasons, version, ttl]`, each reason `[rule, weight, evidence?, detail?]`.
 * @throws {RecordError} when the record breaks its own invariants.
 */
export function encodeRecord(record: ReputationRecord): string {
  validate(record);
  const reasons: EncodedReason[] = record.reasons.map((r) => {
    if (r.detail !== undefined) return [r.rule, r.weight, r.evidence ?? null, r.detail];
    if (r.evidence !== undefined) return [r.rule, r.weight, r.evidence];
    return [r.rule, r.weight];
  });
  return JSON.stringify([
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
    reasons,
    record.version,
    record.ttl,
  ]);
}

/**
 * Parses what {@link encodeRecord} wrote, validating every field.
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
  check(data.length === LENGTH, `encoded record must have ${LENGTH} fields`);
  const [, kind, value, rank, score, confidence, categories, firstSeen, lastSeen, sensors, tenants, rawReasons, version, ttl] = data as unknown[];
  check(typeof rank === 'number' && VERDICTS[rank] !== undefined, 'verdict rank must be 0-3');
  check(Array.isArray(rawReasons), 'reasons must be an array');
  const reasons: Reason[] = rawReasons.map((entry: unknown) => {
    check(Array.isArray(entry) && entry.length >= 2 && entry.length <= 4, 'a reason must be [rule, weight, evidence?, detail?]');
    const reason: Reason = { rule: entry[0] as string, weight: entry[1] as number };
    if (entry.length >= 3 && entry[2] !== null) reason.evidence = entry[2] as number;
    if (entry.length === 4) reason.detail = entry[3] as string;
    return reason;
  });
  const record = {
    kind,
    value,
    verdict: VERDICTS[rank]!,
    score,
    confidence,
    categories,
    firstSeen,
    lastSeen,
    prevalence: { sensors, tenants },
    reasons,
    version,
    ttl,
  } as ReputationRecord;
  validate(record);
  return record;
}
