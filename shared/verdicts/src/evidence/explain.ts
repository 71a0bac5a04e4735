import type { Reason } from '@repute/core';
import type { Contribution } from './score.ts';

/** Reasons a record carries: the strongest contributions, then the guards and caps. */
export const MAX_REASONS = 10;

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * One reason per rule and contributor, strongest first, in a stable order (weight, then rule,
 * then detail); guards and caps after the contributions that they qualify.
 */
export function explain(contributions: readonly Contribution[], guards: readonly Reason[]): Reason[] {
  if (contributions.length === 0 && guards.length <= 1) return guards.length === 0 ? [] : [guards[0]!];
  const merged = new Map<string, Reason>();
  for (const c of contributions) {
    if (c.weight === 0) continue;
    const id = `${c.rule}\u0000${c.detail ?? ''}`;
    const prior = merged.get(id);
    if (prior === undefined) merged.set(id, { rule: c.rule, weight: round(c.weight), ...(c.evidence !== undefined ? { evidence: c.evidence } : {}), ...(c.detail !== undefined ? { detail: c.detail } : {}) });
    else {
      prior.weight = round(prior.weight + c.weight);
      if (c.evidence !== undefined) prior.evidence = (prior.evidence ?? 0) + c.evidence;
    }
  }
  const ranked = [...merged.values()].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.rule.localeCompare(b.rule) || (a.detail ?? '').localeCompare(b.detail ?? ''));
  const seen = new Set<string>();
  const tail = guards.filter((g) => (seen.has(g.rule) ? false : (seen.add(g.rule), true)));
  return [...ranked.slice(0, MAX_REASONS - tail.length), ...tail];
}
