import type { Policy, VerdictChange } from '@repute/verdicts';
import type { Observation } from '../events/observations.ts';
import { takeGroup } from '../sink/insert-queue.ts';
import type { ApplySlice, PassResult } from './apply-slice.ts';
import { byIndicator } from './by-indicator.ts';
import { CHUNK_EVENTS } from './observe-calls.ts';
import type { SettlePass } from './settle-pass.ts';

/** Events of the batches one state pass takes at most. */
const PASS_EVENTS = 40_000;

/**
 * Events of a plain pass between two looks for waiting detections. A detection waits for the
 * slice in hand, so slices are short while passes are small (under a steady load a pass is a
 * few hundred events and a slice of 1000 kept a verdict waiting 30 ms); under a backlog they
 * grow to a whole script call, which costs Redis and the process less per event.
 */
function sliceEvents(passEvents: number): number {
  return Math.min(CHUNK_EVENTS, Math.max(250, Math.ceil(passEvents / 16)));
}

/** Events with a detection wait apart from plain sightings, and go first. */
export type Lane = 'urgent' | 'plain';

export interface StatePass {
  changes: VerdictChange[];
  /** Resolves once the pass's log rows are in and its verdicts marked written. */
  settled: Promise<void>;
}

const EMPTY_PASS: StatePass = { changes: [], settled: Promise.resolve() };

interface Waiting {
  observations: Observation[];
  /** The batch's telemetry insert: the walks that propagate a change read the relations it carries. */
  inserted: Promise<void>;
  resolve: (pass: StatePass) => void;
  reject: (err: unknown) => void;
}

/**
 * Batches may be handled many at a time (the bus overlaps them). Their state work goes in
 * passes, one after another: a pass takes every batch waiting, and hands over as soon as its
 * records are written; the log rows and ClickHouse inserts follow on their own (see `settle`).
 */
export interface StatePasses {
  /** Resolves with the pass that carried the observations, once its records are written. */
  enqueue(lane: Lane, observations: Observation[], inserted: Promise<void>): Promise<StatePass>;
}

export interface SchedulerDeps {
  /** The policy in force, read per pass. */
  policy: () => Policy;
  apply: ApplySlice;
  settle: SettlePass;
}

export function statePasses({ policy: policyInForce, apply, settle }: SchedulerDeps): StatePasses {
  const waiting: Record<Lane, Waiting[]> = { urgent: [], plain: [] };
  let draining = false;

  /**
   * One pass: the waiting batches of a lane, up to PASS_EVENTS events, as one. A script call, a
   * reply and a record write serve them all, and an indicator in several of them is one
   * entry: under a trickle of small batches (Kafka's, a partition each) this is most of the
   * difference between one pass per batch and keeping up. A plain pass goes in slices, and
   * the detections that arrived meanwhile are applied between two slices, and while the pass
   * groups its events (for a pass of thousands, a hundred milliseconds and more of a busy
   * loop): their verdicts do not wait behind thousands of sightings. (An indicator's events
   * commute: counts, sets, minima and maxima.)
   */
  async function runPass(lane: Lane): Promise<void> {
    const group = takeGroup(waiting[lane], (w) => w.observations.length, PASS_EVENTS);
    const policy = policyInForce();
    const result: PassResult = { changes: [], held: [], requeue: [] };
    try {
      const urgentFirst = async () => {
        while (waiting.urgent.length > 0) await runPass('urgent');
      };
      const observations = group.length === 1 ? group[0]!.observations : group.flatMap((g) => g.observations);
      const entries = await byIndicator(observations, lane === 'plain' ? urgentFirst : undefined);
      if (lane === 'urgent') await apply(entries, policy, result);
      else {
        const slice = sliceEvents(group.reduce((n, g) => n + g.observations.length, 0));
        for (let start = 0, sliced = 0; start < entries.length; start = sliced) {
          let n = 0;
          while (sliced < entries.length && (sliced === start || n < slice)) n += entries[sliced++]!.events.length;
          await apply(entries.slice(start, sliced), policy, result);
          await urgentFirst();
        }
      }
    } catch (err) {
      for (const h of result.held) h.release();
      for (const g of group) g.reject(err);
      return;
    }
    // The wait below refers to the inserts alone, not to the group and its events.
    const inserted = group.map((g) => g.inserted);
    const settled = settle(result, policy, inserted);
    settled.catch(() => {});
    for (const g of group) g.resolve({ changes: result.changes, settled });
  }

  /** Passes one after another, detections first, while batches wait. */
  async function drain(): Promise<void> {
    draining = true;
    try {
      while (waiting.urgent.length > 0 || waiting.plain.length > 0) {
        await runPass(waiting.urgent.length > 0 ? 'urgent' : 'plain');
      }
    } finally {
      draining = false;
    }
  }

  return {
    enqueue(lane, observations, inserted) {
      if (observations.length === 0) return Promise.resolve(EMPTY_PASS);
      return new Promise<StatePass>((resolve, reject) => {
        waiting[lane].push({ observations, inserted, resolve, reject });
        if (!draining) void drain();
      });
    },
  };
}
