import type { ReputationRecord } from '@repute/core';
import type { IndicatorRef } from '../indicator-ref.ts';
import type { DecodedState } from '../state/decode-state.ts';
import { SOURCE_CLASSES, type Assessment } from './types.ts';

/** The record an assessment serves. `version` must grow per indicator. */
export function recordOf(ref: IndicatorRef, decoded: DecodedState, a: Assessment, version: number): ReputationRecord {
  const s = decoded.state;
  return {
    kind: ref.kind,
    value: ref.value,
    verdict: a.verdict,
    score: a.score,
    confidence: a.confidence,
    categories: [],
    firstSeen: Math.min(s.firstSeen, s.lastSeen),
    lastSeen: s.lastSeen,
    prevalence: { sensors: s.sensors, tenants: s.tenants },
    reasons: a.reasons.map((r) => ({ rule: r.rule, weight: r.weight, ...(r.evidence !== undefined ? { evidence: r.evidence } : {}), ...(r.detail !== undefined ? { detail: r.detail } : {}) })),
    version,
    ttl: a.ttl,
    ...(a.views !== undefined ? { views: a.views } : {}),
  };
}

/**
 * What tells a served record's explanation apart: the sorted rule ids behind it and the views of
 * tenants with their verdicts. A record whose signature changed is rewritten even when its
 * verdict stays (a sandbox report after two engines had convicted), so the reasons agents and
 * analysts read stay true.
 */
/**
 * Whether a record, by its signature (see {@link recordSignature}), rests on evidence of its own:
 * a source's word on it, a block list, an analyst's override. A record accused only through its
 * neighbours (`relation.*`, `provenance.*`) echoes what accused them.
 */
export function accusedOnItsOwn(signature: string): boolean {
  return signatureRules(signature).some((r) => r === 'list.block' || r === 'override' || SOURCE_CLASSES.some((c) => r === `${c}.malicious` || r === `${c}.suspicious`));
}

/** The rules a record's signature lists (see {@link recordSignature}), its views left out. */
export function signatureRules(signature: string): string[] {
  const rules = signature.split(';', 1)[0] ?? '';
  return rules === '' ? [] : rules.split(',');
}

export function recordSignature(from: { reasons: readonly { rule: string }[]; views?: Record<string, { verdict: string }> }): string {
  const rules = [...new Set(from.reasons.map((r) => r.rule))].sort().join(',');
  if (from.views === undefined) return rules;
  const views = Object.entries(from.views).map(([tenant, v]) => `${tenant}=${v.verdict}`).sort().join(',');
  return `${rules};${views}`;
}
