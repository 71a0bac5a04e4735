import { isVerdict, type Verdict } from '@repute/core';
import type { Answer, AnswerSource, AnswerStatus, LookupKind } from './types.ts';

/** The record fields of a single answer or a batch hit, as the service sends them. */
export interface WireRecordFields {
  verdict?: string;
  score?: number;
  confidence?: number;
  categories?: string[];
  first_seen?: string | null;
  last_seen?: string | null;
  prevalence?: { sensors: number; tenants: number } | { suppressed: true; fewer_than: number };
  reasons?: Answer['reasons'];
  matched?: Answer['matched'];
  overlay?: Answer['overlay'];
  ttl?: number;
}

/** `as_of` of an answer. */
export interface WireAsOf {
  position: string;
  time: string;
}

/** Context for {@link fromWire}. */
export interface WireContext {
  kind: LookupKind;
  value: string;
  ttl: number;
  asOf: WireAsOf | undefined;
  degraded: boolean;
}

function verdictOf(text: string | undefined): Verdict {
  return isVerdict(text) ? text : 'unknown';
}

/** An answer from the service's snake_case JSON. */
export function fromWire(wire: WireRecordFields, context: WireContext): Answer {
  const answer: Answer = {
    kind: context.kind,
    value: context.value,
    verdict: verdictOf(wire.verdict),
    categories: wire.categories ?? [],
    firstSeen: wire.first_seen ?? null,
    lastSeen: wire.last_seen ?? null,
    reasons: wire.reasons ?? [],
    ttl: wire.ttl ?? context.ttl,
    degraded: context.degraded,
    status: 'confirmed',
    source: 'service',
  };
  if (wire.score !== undefined) answer.score = wire.score;
  if (wire.confidence !== undefined) answer.confidence = wire.confidence;
  if (wire.prevalence !== undefined) answer.prevalence = wire.prevalence;
  if (wire.matched !== undefined) answer.matched = wire.matched;
  if (wire.overlay !== undefined) answer.overlay = wire.overlay;
  if (context.asOf !== undefined) answer.asOf = context.asOf;
  return answer;
}

/** An answer without a record, made locally. */
export function localUnknown(kind: LookupKind, value: string, source: AnswerSource, status: AnswerStatus, ttl: number): Answer {
  return { kind, value, verdict: 'unknown', categories: [], firstSeen: null, lastSeen: null, reasons: [], ttl, degraded: false, status, source };
}

/** Seconds from a Cache-Control header: 0 for no-store / no-cache, undefined without max-age. */
export function maxAgeOf(header: string | null): number | undefined {
  if (header === null) return undefined;
  const h = header.toLowerCase();
  if (h.includes('no-store') || h.includes('no-cache')) return 0;
  const m = /max-age=(\d+)/.exec(h);
  return m === null ? undefined : Number(m[1]);
}
