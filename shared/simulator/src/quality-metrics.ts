import { SCORED_KINDS } from './evaluate.ts';
import type { EdgeAnswer, Verdict } from './http-client.ts';
import type { PlannedIndicator, QualityPlan, ViewLookup } from './quality-plan.ts';

/** Verdicts as stored per checkpoint (one byte each); NOT_LIVE: not seen yet by then, not scored. */
export const CODE = { unknown: 0, clean: 1, suspicious: 2, malicious: 3, invalid: 4 } as const satisfies Record<Verdict | 'invalid', number>;
export const NOT_LIVE = 255;
const HOUR = 3_600_000;

/** The verdicts of one checkpoint: per plan item (global view), per victims' lookup, per poison lookup. */
export interface CheckpointVerdicts {
  /** Virtual time, epoch ms. */
  at: number;
  global: Uint8Array;
  victims: Uint8Array;
  poison: Uint8Array;
}

export type Kind = (typeof SCORED_KINDS)[number];

/** Quality of one kind in one view. Ratios are fractions 0..1, null when their denominator is 0. */
export interface KindFigures {
  /** Malicious-labelled indicators (victims' view: indicator-tenant pairs) scored. */
  positives: number;
  negatives: number;
  tpr: number | null;
  /** `malicious` or `suspicious`. */
  tpr_with_suspicious: number | null;
  fpr: number | null;
  fpr_with_suspicious: number | null;
  /** 1 − FPR. */
  specificity: number | null;
}

export interface ViewFigures {
  kinds: Record<Kind, KindFigures>;
  /** `malicious` on shared infrastructure or popular benign indicators (poisoned ones apart). */
  hub_convictions: number;
  /** Poisoned indicators answered `malicious` in this view. */
  poisoned_convictions: number;
}

/** Time to conviction, virtual hours, from the campaign's first event on an indicator. */
export interface TimeFigures {
  /** Malicious indicators (victims' view: pairs) scored. */
  total: number;
  convicted: number;
  median_h: number | null;
  p90_h: number | null;
  /** Convicted at a checkpoint no later than the campaign's last event, over `total`. */
  while_active_share: number | null;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);
const hours = (ms: number): number => Math.round((ms / HOUR) * 100) / 100;

/** The code of an answer. */
export const codeOf = (a: EdgeAnswer | undefined): number => CODE[a?.verdict ?? 'unknown'];

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** Figures of one view from `(item, code)` rows (rows with NOT_LIVE are skipped). */
export function viewFigures(items: readonly PlannedIndicator[], rows: Iterable<{ item: number; code: number }>): ViewFigures {
  const counts = Object.fromEntries(SCORED_KINDS.map((k) => [k, { pos: 0, tp: 0, tps: 0, neg: 0, fp: 0, fps: 0 }])) as Record<Kind, { pos: number; tp: number; tps: number; neg: number; fp: number; fps: number }>;
  let hubs = 0;
  const poisoned = new Set<number>();
  for (const { item, code } of rows) {
    if (code === NOT_LIVE) continue;
    const it = items[item]!;
    const c = counts[it.entry.kind as Kind];
    const bad = code === CODE.malicious;
    const severe = bad || code === CODE.suspicious;
    if (it.entry.label === 'malicious') {
      c.pos++;
      if (bad) c.tp++;
      if (severe) c.tps++;
    } else {
      c.neg++;
      if (bad) c.fp++;
      if (severe) c.fps++;
      if (bad && it.hub) hubs++;
      if (bad && it.poisoned) poisoned.add(item);
    }
  }
  const kinds = Object.fromEntries(SCORED_KINDS.map((k) => {
    const c = counts[k];
    const fpr = ratio(c.fp, c.neg);
    return [k, { positives: c.pos, negatives: c.neg, tpr: ratio(c.tp, c.pos), tpr_with_suspicious: ratio(c.tps, c.pos), fpr, fpr_with_suspicious: ratio(c.fps, c.neg), specificity: fpr === null ? null : Math.round((1 - fpr) * 10_000) / 10_000 }];
  })) as Record<Kind, KindFigures>;
  return { kinds, hub_convictions: hubs, poisoned_convictions: poisoned.size };
}

/** Rows of the global view at one checkpoint. */
export function globalRows(cp: CheckpointVerdicts): { item: number; code: number }[] {
  return Array.from(cp.global, (code, item) => ({ item, code }));
}

/** Rows of a per-tenant view at one checkpoint. */
export function lookupRows(lookups: readonly ViewLookup[], codes: Uint8Array): { item: number; code: number }[] {
  return lookups.map((l, i) => ({ item: l.item, code: codes[i]! }));
}

/**
 * Time to conviction over checkpoints: for each malicious indicator (or indicator-tenant pair),
 * the first checkpoint answering `malicious`, measured from the indicator's first event.
 */
export function timeFigures(items: readonly PlannedIndicator[], checkpoints: readonly CheckpointVerdicts[], subjects: readonly { item: number; codes: (cp: CheckpointVerdicts) => number }[]): TimeFigures {
  const delays: number[] = [];
  let total = 0;
  let active = 0;
  for (const s of subjects) {
    const it = items[s.item]!;
    if (it.entry.label !== 'malicious') continue;
    const cp = checkpoints.find((c) => s.codes(c) === CODE.malicious);
    if (!checkpoints.some((c) => s.codes(c) !== NOT_LIVE)) continue;
    total++;
    if (cp === undefined) continue;
    delays.push(Math.max(0, cp.at - it.first));
    if (it.campaignEnd === undefined || cp.at <= it.campaignEnd) active++;
  }
  delays.sort((a, b) => a - b);
  const median = percentile(delays, 0.5);
  const p90 = percentile(delays, 0.9);
  return { total, convicted: delays.length, median_h: median === null ? null : hours(median), p90_h: p90 === null ? null : hours(p90), while_active_share: ratio(active, total) };
}

/** How long after its campaign's last event an indicator's verdict still counts as "while it mattered". */
export const AFTER_CAMPAIGN_MS = 24 * HOUR;
// For the worst answer over checkpoints: an answer that failed to parse ranks below every verdict.
const rank = (code: number): number => (code === CODE.invalid ? -1 : code);

/**
 * Verdicts as they stood over time, one code per row: a malicious indicator's most severe answer
 * while its campaign ran (from its first event to a day after the campaign's last: a verdict
 * that comes later helps nobody, and one that fades after the attack is over harms nobody); a
 * benign indicator's most severe answer at any checkpoint (a false positive for six hours is a
 * false positive). `codes(cp)[i]` is row i's answer at a checkpoint; `itemOf(i)` its plan item.
 */
export function overTimeRows(items: readonly PlannedIndicator[], checkpoints: readonly CheckpointVerdicts[], codes: (cp: CheckpointVerdicts) => Uint8Array, rows: number, itemOf: (row: number) => number): { item: number; code: number }[] {
  const out: { item: number; code: number }[] = [];
  for (let row = 0; row < rows; row++) {
    const item = itemOf(row);
    const it = items[item]!;
    const until = it.entry.label === 'malicious' && it.campaignEnd !== undefined ? it.campaignEnd + AFTER_CAMPAIGN_MS : Number.POSITIVE_INFINITY;
    let best = NOT_LIVE;
    let after = NOT_LIVE;
    for (const cp of checkpoints) {
      const code = codes(cp)[row]!;
      if (code === NOT_LIVE) continue;
      if (cp.at <= until) {
        if (best === NOT_LIVE || rank(code) > rank(best)) best = code;
      } else if (after === NOT_LIVE) after = code;
    }
    // Seen only after the window (a checkpoint interval longer than a day): its first answer.
    out.push({ item, code: best === NOT_LIVE ? after : best });
  }
  return out;
}

/** The naive reference scorer's verdicts at a checkpoint: `malicious` once detected, `unknown` before. */
export function referenceCheckpoint(plan: QualityPlan, at: number): CheckpointVerdicts {
  const code = (item: number, from: number) => {
    const it = plan.items[item]!;
    if (from > at) return NOT_LIVE;
    return it.referenceAt !== undefined && it.referenceAt <= at ? CODE.malicious : CODE.unknown;
  };
  return {
    at,
    global: Uint8Array.from(plan.items, (it, i) => code(i, it.first)),
    victims: Uint8Array.from(plan.victims, (l) => code(l.item, l.from)),
    poison: Uint8Array.from(plan.poison, (l) => code(l.item, l.from)),
  };
}

/** Share of non-unknown answers that carry at least one reason (null when there are none). */
export function explainedShare(answers: Iterable<EdgeAnswer>): number | null {
  let decided = 0;
  let explained = 0;
  for (const a of answers) {
    if (a.verdict === 'unknown' || a.verdict === 'invalid') continue;
    decided++;
    if (a.reasons.length > 0) explained++;
  }
  return ratio(explained, decided);
}
