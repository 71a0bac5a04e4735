import type { IndicatorKind, Reason } from '@repute/core';
import type { Policy } from '../policy/load-policy.ts';
import type { PolicyRule } from '../policy/policy-schema.ts';
import { scoreGraph } from './score-graph.ts';
import { scorePrevalence } from './score-prevalence.ts';
import { scoreWords } from './score-words.ts';
import type { IndicatorState, ReliabilityMap } from './types.ts';

const HOUR = 3_600_000;
/** Marks evidence a trusted source or the operator stands behind, in `Assessment.tenants`. */
export const TRUSTED = '*';

/** A reason in the making, with what decides the verdict's guards. */
export interface Contribution extends Reason {
  hard?: boolean;
  /** Tenants whose evidence it is (TRUSTED for the operator's and trusted sources). */
  tenants: string[];
}

export interface Scored {
  logOdds: number;
  contributions: Contribution[];
  guards: Reason[];
  widespread: boolean;
  hasBad: boolean;
  neighbours: number;
  hard: boolean;
}

/** What each part of the scoring reads and adds to: the indicator, the policy, the running sum. */
export interface Tally {
  state: IndicatorState;
  policy: Policy;
  /** The policy's rule `id` when it applies to this kind of indicator. */
  rule(id: string): PolicyRule | undefined;
  /** Adds a contribution (a zero or non-finite weight adds nothing). */
  add(c: Contribution): void;
  guards: Reason[];
  /** Decay multiplier of decaying evidence, from the last evidence. */
  fade: number;
}

/**
 * Decay multiplier of evidence `ageMs` old for `kind` (1 when the kind does not decay): full
 * weight for the kind's hold, then halved every half-life.
 */
export function decay(policy: Policy, kind: IndicatorKind, ageMs: number): number {
  const halfLife = policy.doc.halfLifeHours[kind];
  if (halfLife === null) return 1;
  const hold = (policy.doc.holdHours?.[kind] ?? 0) * HOUR;
  return 0.5 ** (Math.max(0, ageMs - hold) / (halfLife * HOUR));
}

/**
 * The log-odds of an indicator and their contributions: the kind's prior, then the sources'
 * words (score-words.ts), prevalence (score-prevalence.ts), the operator's block lists, and
 * graph evidence with provenance (score-graph.ts), in that order.
 */
export function score(state: IndicatorState, policy: Policy, now: number, reliability: ReliabilityMap | undefined, allowListed: boolean): Scored {
  const { doc } = policy;
  const contributions: Contribution[] = [];
  const guards: Reason[] = [];
  let logOdds = doc.prior[state.kind];
  let hard = false;
  const rule = (id: string) => {
    const r = doc.rules[id];
    return r !== undefined && (r.kinds === undefined || r.kinds.includes(state.kind)) ? r : undefined;
  };
  const add = (c: Contribution) => {
    if (c.weight === 0 || !Number.isFinite(c.weight)) return;
    contributions.push(c);
    logOdds += c.weight;
    if (c.hard === true && c.weight > 0) hard = true;
  };
  // Decay runs from the last evidence: a URL still visited is still what its detections said.
  let lastEvidence = state.lastSeen;
  for (const w of state.words) if (w.at > lastEvidence) lastEvidence = w.at;
  const t: Tally = { state, policy, rule, add, guards, fade: decay(policy, state.kind, now - lastEvidence) };

  const { hasBad } = scoreWords(t, reliability);
  const { widespread, share } = scorePrevalence(t, now, allowListed);
  for (const block of policy.block) {
    if (block.has(state.kind, state.value)) {
      const r = rule('list.block');
      if (r !== undefined) add({ rule: 'list.block', weight: r.weight, evidence: 1, detail: block.id, hard: r.hard === true, tenants: [TRUSTED] });
    }
  }
  const lexical = rule('lexical.brand_impersonation');
  const impersonated = lexical === undefined || allowListed ? undefined : policy.impersonation?.match(state.kind, state.value);
  // A name's own words are nobody's evidence: no tenant stands behind them, so they never make a
  // conviction independent, and alone they stay below suspicion (a lure's name is a hint, not proof).
  if (lexical !== undefined && impersonated !== undefined) {
    add({ rule: 'lexical.brand_impersonation', weight: lexical.weight, evidence: 1, detail: `${impersonated.brand} (${impersonated.how})`, tenants: [] });
  }
  const neighbours = scoreGraph(t, share, allowListed);
  return { logOdds, contributions, guards, widespread, hasBad, neighbours, hard };
}
