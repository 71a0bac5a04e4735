import type { ClickHouseClient, VerdictLogRow } from '@repute/analytics';
import type { ReputationStore, RedisClient } from '@repute/store';
import { assess } from './evidence/assess.ts';
import { recordOf, recordSignature } from './evidence/record.ts';
import type { Assessment, ReliabilityMap } from './evidence/types.ts';
import type { IndicatorRef, Rescorer, VerdictChange } from './indicator-ref.ts';
import type { Policy } from './policy/load-policy.ts';
import { decodeState, type DecodedState } from './state/decode-state.ts';
import { execBySlot, type KeyCommand } from './state/slot-pipeline.ts';
import { stateKeys } from './state/state-keys.ts';
import { verdictLogRows, writtenCommands } from './state/written.ts';

export interface RescorerDeps {
  redis: RedisClient;
  store: ReputationStore;
  clickhouse: ClickHouseClient;
  database: string;
  policy: () => Policy;
  prefix: string;
  /** Measured reliability of the sources, when known. */
  reliability?: () => ReliabilityMap | undefined;
  now?: () => number;
}

/** An indicator's state and assessment, read without changing anything. */
export interface Inspection {
  decoded: DecodedState;
  assessment: Assessment;
}

/**
 * Re-scoring from stored state, for writers outside the correlator's stream (an analyst's
 * override): reads the state, assesses it with the policy in force, writes the records whose
 * verdict or explanation changed, logs the changes and marks them written (which queues them for
 * propagation). The correlator's own stream keeps its changes in decision order itself.
 */
export function createRescorer(deps: RescorerDeps): Rescorer & { inspect(ref: IndicatorRef): Promise<Inspection> } {
  const now = deps.now ?? Date.now;
  let sequence = 0;
  const nextVersion = () => now() * 1000 + (sequence = (sequence + 1) % 1000);
  const inspect = async (ref: IndicatorRef): Promise<Inspection> => {
    const decoded = decodeState(ref.kind, ref.value, await deps.redis.call('HGETALL', stateKeys(deps.prefix, ref.key).state));
    return { decoded, assessment: assess(decoded.state, deps.policy(), now(), deps.reliability?.()) };
  };
  return {
    inspect,
    async rescore(refs, source: VerdictLogRow['source']) {
      const inspected = await Promise.all(refs.map(async (ref) => ({ ref, ...(await inspect(ref)) })));
      const changes: VerdictChange[] = [];
      const refreshes: KeyCommand[] = [];
      await Promise.all(inspected.map(async (i) => {
        const verdictChanged = i.assessment.verdict !== i.decoded.verdict;
        if (!verdictChanged && recordSignature(i.assessment) === i.decoded.rules) return;
        const record = recordOf(i.ref, i.decoded, i.assessment, nextVersion());
        await deps.store.write(record);
        if (verdictChanged) changes.push({ ref: i.ref, previous: i.decoded.verdict, record, source });
        else refreshes.push(['hset', stateKeys(deps.prefix, i.ref.key).state, 'rs', recordSignature(record)]);
      }));
      if (changes.length > 0) {
        await deps.clickhouse.insert({ table: `${deps.database}.verdict_log`, values: verdictLogRows(changes, deps.policy().version, now()), format: 'JSONEachRow' });
      }
      await execBySlot(deps.redis, [...refreshes, ...writtenCommands(changes, source, deps.prefix, now())]);
      return changes;
    },
  };
}
