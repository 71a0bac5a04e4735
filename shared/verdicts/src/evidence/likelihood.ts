import type { IndicatorKind } from '@repute/core';
import type { Policy } from '../policy/load-policy.ts';
import type { SourceReliability } from '../policy/policy-schema.ts';
import type { ReliabilityMap, Word } from './types.ts';

/** Decibans of a likelihood ratio. */
const db = (ratio: number): number => 10 * Math.log10(ratio);

/**
 * The reliability a word is weighed with: the engine's measured rates where the estimate has
 * them, else the rates configured for the engine, else those of its class of source.
 */
export function reliabilityOf(policy: Policy, reliability: ReliabilityMap | undefined, source: string, engine: string): SourceReliability {
  const id = `${source}|${engine}`;
  const configured = policy.doc.engines?.[id] ?? policy.doc.sources[source as keyof typeof policy.doc.sources];
  const measured = reliability?.get(id);
  return measured === undefined ? configured : { ...configured, tpr: measured.tpr, fpr: measured.fpr };
}

/**
 * Log-likelihood ratio of one word, decibans: a detection is TPR/FPR (how much likelier the
 * source says it of malware than of anything benign), a `clean` is (1-TPR)/(1-FPR). A
 * `suspicious` (or `pua`) word counts half a detection: the source hedged. A class of source
 * whose `kinds` exclude the indicator's kind says nothing (0).
 */
export function wordWeight(policy: Policy, reliability: ReliabilityMap | undefined, kind: IndicatorKind, word: Pick<Word, 'source' | 'engine' | 'category'>): number {
  const r = reliabilityOf(policy, reliability, word.source, word.engine);
  if (r.kinds !== undefined && !r.kinds.includes(kind)) return 0;
  // Measured rates come from every kind it judged, mostly files: a kind the policy knows it
  // misses more often keeps that kind's own detection rate.
  const tpr = r.tprByKind?.[kind] ?? r.tpr;
  switch (word.category) {
    case 'malicious': return db(tpr / r.fpr);
    case 'suspicious':
    case 'pua': return db(tpr / r.fpr) / 2;
    case 'clean': return db((1 - tpr) / (1 - r.fpr));
  }
}
