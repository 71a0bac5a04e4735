import type { Verdict } from '@repute/core';
import type { IndicatorRef } from '@repute/verdicts';
import type { IndicatorEvents } from './by-indicator.ts';
import type { Assessed } from './write-records.ts';

/** An indicator to walk again, not before `at` (now when unset). */
export type Requeued = IndicatorRef & { at?: number };

const SEVERE = new Set<Verdict>(['malicious', 'suspicious']);
/** An accused indicator with new relations is walked again at most this often. */
const REQUEUE_COOLDOWN_MS = 5_000;
/** Indicators whose last re-walk is remembered before the expired ones are forgotten. */
const REQUEUE_REMEMBERED = 10_000;

/**
 * Picks the indicators of a slice to walk again, into `into`: an indicator that stays accused
 * but shows new relations (a convicted file downloaded by one more machine, from one more URL)
 * is walked again, as what it accuses grows with them.
 */
export type Rewalks = (items: Assessed[], entries: Map<string, IndicatorEvents>, t: number, into: Requeued[]) => void;

export function rewalks(): Rewalks {
  const requeuedAt = new Map<string, number>();
  return (items, entries, t, into) => {
    for (let n = 0; n < items.length; n++) {
      const i = items[n]!;
      if (i.assessment.verdict !== i.decoded.verdict || !SEVERE.has(i.assessment.verdict)) continue;
      const entry = entries.get(i.ref.key);
      if (entry === undefined || !entry.events.some((e) => e.o.mentions.length > 1)) continue;
      // At most one walk per cooldown: a relation that arrives within it is walked when the
      // cooldown ends (the queue holds one entry per indicator, at its earliest time).
      const last = requeuedAt.get(i.ref.key);
      const at = last !== undefined && t - last < REQUEUE_COOLDOWN_MS ? last + REQUEUE_COOLDOWN_MS : t;
      if (at === last) continue;
      requeuedAt.set(i.ref.key, at);
      into.push({ ...i.ref, at });
    }
    if (requeuedAt.size > REQUEUE_REMEMBERED) {
      for (const [key, at] of requeuedAt) if (t - at >= REQUEUE_COOLDOWN_MS) requeuedAt.delete(key);
    }
  };
}

/** An indicator as propagation's queue holds it: the reference alone, whatever else the object carries. */
export function walkEntry(r: IndicatorRef): string {
  return JSON.stringify({ kind: r.kind, value: r.value, digest: r.digest, key: r.key });
}
