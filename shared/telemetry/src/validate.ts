import { hash } from 'node:crypto';
import { Compile } from 'typebox/compile';
import {
  canonicalizeDomain,
  canonicalizeEmail,
  canonicalizeUrl,
  mostSpecificExpression,
  parseFileHash,
  parseIp,
  type IndicatorKind,
} from '@repute/core';
import { TelemetryEventV1Schema, type FileRef, type FileRefInput, type TelemetryEvent, type TelemetryEventInput } from './schema.ts';
import type { PrimaryIndicator } from './primary.ts';

/** Why an event was rejected; a small, stable set (it labels a metric). */
export type RejectionReason =
  | 'not_an_object'
  | 'invalid_json'
  | 'invalid_field'
  | 'invalid_indicator'
  | 'invalid_time'
  | 'time_out_of_range'
  | 'missing_indicator'
  | 'duplicate_id';

export interface Rejection {
  ok: false;
  index: number;
  reason: RejectionReason;
  /** JSON pointer of the offending field; empty for the event as a whole. */
  field: string;
  detail: string;
  /** The event id when the event had a readable one. */
  id?: string;
}

/** An accepted event with its primary indicator (whose digest is the bus message key). */
export interface Accepted {
  ok: true;
  event: TelemetryEvent;
  primary: PrimaryIndicator;
}

export type ValidationResult = Accepted | Rejection;

export interface ValidateOptions {
  /** Reference time in epoch ms (defaults to Date.now()). */
  now?: number;
  /** How far in the future an event time may be (sensor clocks drift). */
  maxFutureSkewMs?: number;
  /** How old an event may be. */
  maxAgeMs?: number;
}

const DEFAULT_MAX_FUTURE_SKEW_MS = 60 * 60 * 1000;
const DEFAULT_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

const check = Compile(TelemetryEventV1Schema);

class FieldError extends Error {
  readonly reason: RejectionReason;
  readonly field: string;
  constructor(reason: RejectionReason, field: string, detail: string) {
    super(detail);
    this.reason = reason;
    this.field = field;
  }
}

function indicatorFailure(field: string, err: unknown): FieldError {
  const code = (err as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : err instanceof Error ? err.message : 'invalid indicator';
  return new FieldError('invalid_indicator', field, detail);
}

function canonical<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw indicatorFailure(field, err);
  }
}

function hashOf(field: string, raw: string, algorithm: 'md5' | 'sha1' | 'sha256'): string {
  const parsed = canonical(field, () => parseFileHash(raw));
  if (parsed.algorithm !== algorithm) {
    throw new FieldError('invalid_indicator', field, `expected a ${algorithm} hash, got ${parsed.algorithm}`);
  }
  return parsed.hex;
}

function fileRef(field: string, input: FileRefInput): FileRef {
  const out: FileRef = { sha256: hashOf(`${field}/sha256`, input.sha256, 'sha256') };
  if (input.md5 !== undefined) out.md5 = hashOf(`${field}/md5`, input.md5, 'md5');
  if (input.sha1 !== undefined) out.sha1 = hashOf(`${field}/sha1`, input.sha1, 'sha1');
  if (input.name !== undefined) out.name = input.name;
  if (input.size !== undefined) out.size = input.size;
  if (input.signer !== undefined) out.signer = input.signer;
  return out;
}

const ip = (field: string, raw: string): string => canonical(field, () => parseIp(raw).address);
const url = (field: string, raw: string): string => canonical(field, () => canonicalizeUrl(raw));

function eventTime(raw: string | number, now: number, options: ValidateOptions): number {
  const time = typeof raw === 'number' ? raw : Date.parse(raw);
  if (!Number.isFinite(time)) throw new FieldError('invalid_time', '/time', 'not an ISO 8601 time or epoch milliseconds');
  if (time > now + (options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS)) {
    throw new FieldError('time_out_of_range', '/time', 'too far in the future');
  }
  if (time < now - (options.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) {
    throw new FieldError('time_out_of_range', '/time', 'too old');
  }
  return time;
}

function schemaRejection(raw: unknown, index: number): Rejection {
  const first = check.Errors(raw)[0];
  let field = first?.instancePath ?? '';
  let detail = first?.message ?? 'does not match the telemetry v1 schema';
  const extra = (first?.params as { additionalProperties?: unknown } | undefined)?.additionalProperties;
  if (first?.keyword === 'additionalProperties' && Array.isArray(extra) && typeof extra[0] === 'string') {
    field = `${field}/${extra[0]}`;
    detail = 'unknown field';
  } else if (first?.keyword === 'boolean' && first.schemaPath.endsWith('/additionalProperties')) {
    // The compiler reports a property that no schema allows at its own path, as one that
    // failed the `false` schema additionalProperties stands for: the path is already the field.
    detail = 'unknown field';
  }
  return withId({ ok: false, index, reason: 'invalid_field', field, detail }, raw);
}

function withId(rejection: Rejection, raw: unknown): Rejection {
  const id = (raw as { id?: unknown }).id;
  if (typeof id === 'string' && id.length <= 128) rejection.id = id;
  return rejection;
}

function canonicalize(input: TelemetryEventInput, now: number, options: ValidateOptions): Accepted {
  const event: TelemetryEvent = {
    v: 1,
    id: input.id,
    sensor: input.sensor,
    host: input.host,
    time: eventTime(input.time, now, options),
    type: input.type,
  };
  let primary: { kind: IndicatorKind; value: string } | undefined;
  if (input.file !== undefined) {
    event.file = fileRef('/file', input.file);
    primary = { kind: 'file', value: event.file.sha256 };
  }
  if (input.url !== undefined) {
    event.url = url('/url', input.url);
    primary ??= { kind: 'url', value: event.url };
  }
  if (input.domain !== undefined) {
    const raw = input.domain;
    event.domain = canonical('/domain', () => canonicalizeDomain(raw));
    primary ??= { kind: 'domain', value: event.domain };
  }
  if (input.ip !== undefined) {
    event.ip = ip('/ip', input.ip);
    primary ??= { kind: 'ip', value: event.ip };
  }
  if (input.port !== undefined) event.port = input.port;
  if (input.sender !== undefined) {
    const raw = input.sender;
    event.sender = canonical('/sender', () => canonicalizeEmail(raw));
    primary ??= { kind: 'email', value: event.sender };
  }
  if (primary === undefined) {
    throw new FieldError('missing_indicator', '', 'an event needs at least one of file, url, domain, ip, sender');
  }
  const rel = input.relations;
  if (rel !== undefined) {
    const relations: NonNullable<TelemetryEvent['relations']> = {};
    if (rel.downloadedFrom !== undefined) relations.downloadedFrom = url('/relations/downloadedFrom', rel.downloadedFrom);
    if (rel.parentFile !== undefined) relations.parentFile = fileRef('/relations/parentFile', rel.parentFile);
    if (rel.resolvedIps !== undefined) relations.resolvedIps = rel.resolvedIps.map((a, i) => ip(`/relations/resolvedIps/${i}`, a));
    if (rel.carriedUrls !== undefined) relations.carriedUrls = rel.carriedUrls.map((u, i) => url(`/relations/carriedUrls/${i}`, u));
    if (rel.attachments !== undefined) relations.attachments = rel.attachments.map((f, i) => fileRef(`/relations/attachments/${i}`, f));
    event.relations = relations;
  }
  if (input.verdict !== undefined) {
    const { engine, name, category } = input.verdict;
    event.verdict = name === undefined ? { engine, category } : { engine, name, category };
  }
  // The partition key is the primary indicator's digest as @repute/core defines it (the hash
  // itself for files, SHA-256 of the UTF-8 most specific expression for URLs); computed here
  // from the already canonical value so that nothing is parsed twice. It travels in the result
  // rather than in a WeakMap keyed by the event: that map's inserts were 15 % of the CPU of
  // validating a batch.
  const digest =
    primary.kind === 'file' ? primary.value : hash('sha256', primary.kind === 'url' ? mostSpecificExpression(primary.value) : primary.value, 'hex');
  return { ok: true, event, primary: { kind: primary.kind, value: primary.value, digest } };
}

/**
 * Validates one raw event against the v1 schema and canonicalises every indicator in it with
 * @repute/core, so nothing downstream ever sees a non-canonical value. `index` is the event's
 * position in its request, echoed in a rejection.
 */
export function validateAndCanonicalize(raw: unknown, index: number, options: ValidateOptions = {}): ValidationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, index, reason: 'not_an_object', field: '', detail: 'an event is a JSON object' };
  }
  if (!check.Check(raw)) return schemaRejection(raw, index);
  try {
    return canonicalize(raw, options.now ?? Date.now(), options);
  } catch (err) {
    if (err instanceof FieldError) {
      return withId({ ok: false, index, reason: err.reason, field: err.field, detail: err.message }, raw);
    }
    throw err;
  }
}
