import { hash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { YIELD_EVERY } from '../event-loop.ts';
import type { Mention, Observation } from '../events/observations.ts';

/** One indicator of a pass with the events that mention it, in bus order. */
export interface IndicatorEvents {
  ref: Mention;
  receivedAt: number;
  events: { o: Observation; subject: boolean; detected: boolean; hash: string }[];
}

/** 48 bits of the event id: an integer, so a dedup set stays a compact intset. */
function idHash(id: string): string {
  // The one-shot hash: the same digest, about half the CPU of a Hash object per id.
  return String(hash('md5', id, 'buffer').readUIntBE(0, 6));
}

/**
 * Groups events by indicator, each indicator's in bus order, running `between` at each turn
 * handed back to the event loop.
 */
export async function byIndicator(
  observations: Observation[],
  between?: () => Promise<void>,
): Promise<IndicatorEvents[]> {
  const byKey = new Map<string, IndicatorEvents>();
  // Indexed loops on the per-event paths: an entries() iterator allocates a pair per element.
  for (let n = 0; n < observations.length; n++) {
    if (n > 0 && n % YIELD_EVERY === 0) {
      await yieldToLoop();
      await between?.();
    }
    const o = observations[n]!;
    const hash = idHash(o.eventId);
    o.mentions.forEach((m, i) => {
      let entry = byKey.get(m.key);
      if (entry === undefined) {
        entry = { ref: m, receivedAt: o.receivedAt, events: [] };
        byKey.set(m.key, entry);
      }
      entry.receivedAt = o.receivedAt;
      entry.events.push({ o, subject: i === 0, detected: m.detected === true, hash });
    });
  }
  return [...byKey.values()];
}
