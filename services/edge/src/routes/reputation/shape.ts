import type { Static } from '@fastify/type-provider-typebox';
import type { LookupResult } from '../../lookup/lookup-service.ts';
import type { RecordFields } from './schemas.ts';

export type AnswerFields = Static<typeof RecordFields>;

/** The record fields of an answer, snake_case, times as ISO 8601. */
export function answerFields(result: LookupResult): AnswerFields {
  const r = result.record;
  const out: AnswerFields = {
    verdict: result.verdict,
    categories: r?.categories ?? [],
    first_seen: r === null ? null : new Date(r.firstSeen).toISOString(),
    last_seen: r === null ? null : new Date(r.lastSeen).toISOString(),
    reasons: r?.reasons ?? [],
    ttl: result.ttl,
  };
  if (r !== null) {
    out.score = r.score;
    out.confidence = r.confidence;
    out.prevalence = r.prevalence;
  }
  if (result.matched !== null) out.matched = result.matched;
  if (result.overlay !== null) {
    const o = result.overlay;
    out.overlay = { list: o.list, kind: o.kind, value: o.value, ...(o.note !== undefined ? { note: o.note } : {}) };
  }
  return out;
}

export function cacheControl(ttl: number, degraded: boolean): string {
  // Answers depend on the tenant's overlay, so shared caches must not keep them; a degraded
  // answer is not worth caching.
  return degraded || ttl === 0 ? 'private, no-store' : `private, max-age=${ttl}`;
}
