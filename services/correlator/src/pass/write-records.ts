import type { VerdictLogRow } from '@repute/analytics';
import type { RedisClient, ReputationStore } from '@repute/store';
import {
  convictedAnywhere, execBySlot, recordOf, recordSignature, stateKeys,
  type Assessment, type DecodedState, type IndicatorRef, type KeyCommand, type Policy, type VerdictChange,
} from '@repute/verdicts';
import type { HeldVerdicts } from './held-verdicts.ts';

/** An indicator as assessed, against the state it was assessed from. */
export interface Assessed {
  ref: IndicatorRef;
  decoded: DecodedState;
  assessment: Assessment;
  receivedAt?: number;
}

/**
 * Writes the records of changed verdicts; the edge serves them from here on. A record whose
 * verdict stays but whose explanation changed (new rules, a tenant's view) is rewritten too,
 * so the reasons an agent or analyst reads stay true; that is no verdict change, so it is
 * neither logged nor propagated. So is a served record whose prevalence or last sighting moved,
 * at most once per `refreshMs` per indicator: a record's counts stay current within that
 * without a write per event.
 */
export type WriteRecords = (
  items: Assessed[],
  source: VerdictLogRow['source'],
  policy: Policy,
  locallyConvicted?: IndicatorRef[],
) => Promise<VerdictChange[]>;

export interface RecordWriterDeps {
  redis: RedisClient;
  store: ReputationStore;
  prefix: string;
  held: HeldVerdicts;
  now: () => number;
  onVerdict: (change: VerdictChange) => void;
}

export function recordWriter({ redis, store, prefix, held, now, onVerdict }: RecordWriterDeps): WriteRecords {
  let sequence = 0;
  // Versions only need to grow per indicator; milliseconds × 1000 plus a rolling counter keeps
  // them increasing across restarts without a Redis round trip.
  const nextVersion = () => now() * 1000 + (sequence = (sequence + 1) % 1000);

  return async (items, source, policy, locallyConvicted) => {
    const changes: VerdictChange[] = [];
    const t = now();
    const refreshed = items.filter((i) => {
      const a = i.assessment;
      if (a.verdict !== i.decoded.verdict || a.verdict === 'unknown') return false;
      const signature = recordSignature(a);
      // Newly convicted in a tenant's view (the global verdict unchanged): walked for that tenant.
      if (signature !== i.decoded.rules && convictedAnywhere(a) && !i.decoded.rules.includes('=malicious')) {
        locallyConvicted?.push(i.ref);
      }
      return signature !== i.decoded.rules ||
        (i.decoded.refreshedAt < i.decoded.state.lastSeen && t - i.decoded.refreshedAt >= policy.doc.refreshMs);
    });
    const refreshes = refreshed.length === 0 ? Promise.resolve() : (async () => {
      await Promise.all(refreshed.map((i) => store.write(recordOf(i.ref, i.decoded, i.assessment, nextVersion()))));
      for (const i of refreshed) held.refreshed(i.ref.key, t);
      await execBySlot(redis, refreshed.map((i): KeyCommand =>
        ['hset', stateKeys(prefix, i.ref.key).state, 'rs', recordSignature(i.assessment), 'rp', t]));
    })();
    const writes = items
      .filter((i) => i.assessment.verdict !== i.decoded.verdict)
      .map(async (i) => {
        const record = recordOf(i.ref, i.decoded, i.assessment, nextVersion());
        await store.write(record);
        const change: VerdictChange = {
          ref: i.ref,
          previous: i.decoded.verdict,
          record,
          source,
          ...(i.receivedAt !== undefined ? { receivedAt: i.receivedAt } : {}),
        };
        changes.push(change);
        onVerdict(change);
      });
    await Promise.all([...writes, refreshes]);
    return changes;
  };
}
