import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { assess, decodeState, type Policy, type ReliabilityMap, type VerdictChange } from '@repute/verdicts';
import { YIELD_EVERY } from '../event-loop.ts';
import type { IndicatorEvents } from './by-indicator.ts';
import type { Held, HeldVerdicts } from './held-verdicts.ts';
import { readReply, type ObserveCalls } from './observe-calls.ts';
import type { Requeued, Rewalks } from './rewalks.ts';
import type { Assessed, WriteRecords } from './write-records.ts';

/** What a pass's slices found, gathered for the pass to settle. */
export interface PassResult {
  changes: VerdictChange[];
  held: Held[];
  requeue: Requeued[];
}

/** Runs indicators' scripts, assesses them and writes their records, into `into`. */
export type ApplySlice = (entries: IndicatorEvents[], policy: Policy, into: PassResult) => Promise<void>;

export interface SliceDeps {
  script: ObserveCalls;
  held: HeldVerdicts;
  writeRecords: WriteRecords;
  rewalks: Rewalks;
  reliability: () => ReliabilityMap | undefined;
  now: () => number;
}

export function sliceApplier({ script, held, writeRecords, rewalks, reliability, now }: SliceDeps): ApplySlice {
  return async (entries, policy, into) => {
    const calls = script.pack(entries);
    const entriesByKey = new Map<string, IndicatorEvents>();
    for (const e of entries) entriesByKey.set(e.ref.key, e);
    const measured = reliability();
    const replies = await script.run(calls);
    const t = now();
    const items: (Assessed & { receivedAt: number })[] = [];
    let since = 0;
    for (let c = 0; c < calls.length; c++) {
      const call = calls[c]!;
      const reply = replies[c]!;
      for (let i = 0; i < call.items.length; i++) {
        const entry = call.items[i]!;
        if (since >= YIELD_EVERY) {
          since = 0;
          await yieldToLoop();
        }
        since += entry.events.length;
        const { ref, receivedAt } = entry;
        const decoded = held.latest(ref.key, decodeState(ref.kind, ref.value, readReply(entry, reply[i])));
        items.push({ ref, decoded, assessment: assess(decoded.state, policy, t, measured), receivedAt });
      }
    }
    const changes = await writeRecords(items, 'stream', policy, into.requeue);
    into.changes.push(...changes);
    rewalks(items, entriesByKey, t, into.requeue);
    // Held at once, in decision order: a pass of detections may run before this pass's next slice.
    into.held.push(held.hold(changes, 'stream'));
  };
}
