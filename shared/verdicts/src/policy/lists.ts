import type { IndicatorKind, Verdict } from '@repute/core';
import type { Policy } from './load-policy.ts';

/** Allow list of the indicator, if any (the first one listing it). */
export function allowListOf(policy: Policy, kind: IndicatorKind, value: string): { id: string; cap: Verdict } | undefined {
  for (const allow of policy.allow) if (allow.list.has(kind, value)) return { id: allow.list.id, cap: allow.cap };
  return undefined;
}
