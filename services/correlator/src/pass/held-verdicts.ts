import type { VerdictLogRow } from '@repute/analytics';
import type { Verdict } from '@repute/core';
import type { RedisClient } from '@repute/store';
import { execBySlot, recordSignature, writtenCommands, type DecodedState, type VerdictChange } from '@repute/verdicts';

export interface Held {
  /** Marks the changes written, once every change decided before them is. */
  mark(): Promise<void>;
  /**
   * Forgets the held verdicts, once marked or once their batch failed: a retry must tell the
   * change from `vd` again, to log it. An entry a later pass replaced stays, for that pass.
   * A change never marked gives its turn up.
   */
  release(): void;
}

const NOTHING_HELD: Held = { mark: async () => {}, release: () => {} };

/**
 * Verdicts written but not yet marked written. A pass tells a change from the indicator's
 * written verdict (`vd`), which is set only after the change's log row is in, so that a crash
 * before then re-decides (and logs) the change on redelivery. Until then the verdict just
 * written is held here, and the passes after it read it from here instead of the older `vd`.
 */
export interface HeldVerdicts {
  /** The state as the passes must read it: with the verdict held for it, if any. */
  latest(key: string, decoded: DecodedState): DecodedState;
  /**
   * Holds just-written changes until `vd` is set and takes their turn in the order `vd` is
   * set: the order they were decided, whichever log insert finishes first. Marking runs after
   * their log rows were inserted: a crash before it re-decides (and re-logs) the change on
   * redelivery instead of losing its log row.
   */
  hold(changes: VerdictChange[], source: VerdictLogRow['source']): Held;
  /** A held verdict's record was refreshed at `t`: the passes after it count `refreshMs` from then. */
  refreshed(key: string, t: number): void;
}

export function heldVerdicts(redis: RedisClient, prefix: string, now: () => number): HeldVerdicts {
  const unmarked = new Map<string, { verdict: Verdict; rules: string; refreshedAt?: number }>();
  // The end of the chain that sets `vd` in decision order.
  let markTurn: Promise<void> = Promise.resolve();

  /** Sets `vd` and queues the changes for propagation. */
  async function setWritten(changes: VerdictChange[], source: VerdictLogRow['source']): Promise<void> {
    // The indicators' state keys lie in different slots of a cluster: sent per slot there.
    await execBySlot(redis, writtenCommands(changes, source, prefix, now()));
  }

  return {
    latest(key, decoded) {
      const u = unmarked.get(key);
      if (u === undefined) return decoded;
      const refreshedAt = Math.max(decoded.refreshedAt, u.refreshedAt ?? 0);
      return { ...decoded, verdict: u.verdict, rules: u.rules, refreshedAt };
    },

    hold(changes, source) {
      if (changes.length === 0) return NOTHING_HELD;
      const entries = changes.map((c) => {
        const entry = { verdict: c.record.verdict, rules: recordSignature(c.record), refreshedAt: now() };
        unmarked.set(c.ref.key, entry);
        return { key: c.ref.key, entry };
      });
      const previous = markTurn;
      let done!: () => void;
      markTurn = new Promise<void>((resolve) => (done = resolve));
      return {
        async mark() {
          try {
            await previous;
            await setWritten(changes, source);
          } finally {
            done();
          }
        },
        release() {
          for (const h of entries) if (unmarked.get(h.key) === h.entry) unmarked.delete(h.key);
          void previous.then(done);
        },
      };
    },

    refreshed(key, t) {
      const held = unmarked.get(key);
      if (held !== undefined) held.refreshedAt = t;
    },
  };
}
