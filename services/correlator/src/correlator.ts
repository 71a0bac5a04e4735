import type { ClickHouseClient, VerdictLogRow } from '@repute/analytics';
import type { BusMessage, RejectedMessage } from '@repute/bus';
import type { RedisClient, ReputationStore } from '@repute/store';
import {
  assess, decodeState, pendingPropagationKey, stateKeys,
  type Assessment, type DecodedState, type IndicatorRef, type Policy, type ReliabilityMap, type VerdictChange,
} from '@repute/verdicts';
import { batchResult } from './events/batch-result.ts';
import { decodeBatch } from './events/decode-batch.ts';
import type { Observation } from './events/observations.ts';
import {
  heldVerdicts, observeCalls, passSettler, recordWriter, rewalks, sliceApplier, statePasses, walkEntry,
} from './pass/index.ts';
import { telemetrySink } from './sink/telemetry-sink.ts';
import { verdictLogSink } from './sink/verdict-log.ts';

export type { IndicatorRef, VerdictChange };

export interface CorrelatorLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CorrelatorDeps {
  redis: RedisClient;
  store: ReputationStore;
  clickhouse: ClickHouseClient;
  database: string;
  /** The policy in force (read per batch, so a reload applies to the next one). */
  policy: () => Policy;
  /** The sources' measured reliability, when an estimate is at hand (see `startReliabilityJob`). */
  reliability?: () => ReliabilityMap | undefined;
  /** Key prefix of the correlator's own state. */
  prefix: string;
  /** How long an event id is remembered for deduplication, seconds. */
  dedupTtlSeconds?: number;
  /** Inserts of a table start at most this often, ms (default 0: one after another). */
  insertIntervalMs?: number;
  log?: CorrelatorLog;
  /** Called per written verdict change (metrics, benchmarks). */
  onVerdict?: (change: VerdictChange) => void;
  now?: () => number;
}

export interface BatchResult {
  events: number;
  duplicates: number;
  rows: number;
  changes: number;
  /** Messages of the batch that are not valid telemetry (`rejected.length`). */
  invalid: number;
  /**
   * Those messages, each with its reason: they can never be applied, so the bus dead-letters
   * them alone and acknowledges the rest of the batch, which was applied normally.
   */
  rejected: RejectedMessage[];
}

/** The correlator's per-batch pipeline and the shared re-scoring path. */
export interface Correlator {
  handle(batch: BusMessage[]): Promise<BatchResult>;
  /** Re-scores indicators from their stored state (after propagation or an override). */
  rescore(refs: IndicatorRef[], source: VerdictLogRow['source']): Promise<VerdictChange[]>;
  /** Reads an indicator's state and assessment without changing anything. */
  inspect(ref: IndicatorRef): Promise<{ decoded: DecodedState; assessment: Assessment }>;
  /** Assesses a state as the correlator would now (a state read by `inspect`, possibly with evidence left out). */
  assessState(state: DecodedState['state']): Assessment;
  insertVerdictLog(changes: VerdictChange[]): Promise<void>;
}

/**
 * Wires the correlator's parts: the state script's calls, the passes that run them, the verdicts
 * held until marked written, the record writes, and the ClickHouse sinks (see README.md).
 */
export function createCorrelator(deps: CorrelatorDeps): Correlator {
  const { redis, store, clickhouse, database, prefix } = deps;
  const now = deps.now ?? Date.now;
  const minIntervalMs = deps.insertIntervalMs ?? 0;
  const script = observeCalls(redis, prefix, deps.dedupTtlSeconds ?? 300, now);
  const held = heldVerdicts(redis, prefix, now);
  const onVerdict = (change: VerdictChange) => deps.onVerdict?.(change);
  const writeRecords = recordWriter({ redis, store, prefix, held, now, onVerdict });
  const telemetry = telemetrySink({ clickhouse, database, minIntervalMs });
  const verdictLog = verdictLogSink({ clickhouse, database, minIntervalMs, now });
  const passes = statePasses({
    policy: () => deps.policy(),
    apply: sliceApplier({
      script, held, writeRecords, rewalks: rewalks(), reliability: () => deps.reliability?.(), now,
    }),
    settle: passSettler({ redis, prefix, verdictLog, now }),
  });

  /** An indicator's state as it stands, without changing it (propagation and overrides re-score with it). */
  const readState = async (ref: IndicatorRef): Promise<DecodedState> =>
    decodeState(ref.kind, ref.value, await redis.call('HGETALL', stateKeys(prefix, ref.key).state));

  const correlator: Correlator = {
    async handle(batch) {
      const decoded = await decodeBatch(batch, deps.policy(), deps.log);
      // The raw rows do not depend on the state: their insert runs while Redis works. Every row
      // is inserted, duplicates included: a redelivered batch may be one whose insert never
      // happened. The token drops a retried batch; ReplacingMergeTree collapses the rest.
      const rawInsert = telemetry.insert(batch, decoded.rows);
      // Awaited below; until then a failure must not count as unhandled.
      rawInsert.catch(() => {});
      try {
        const detected = (o: Observation) => o.detection !== undefined;
        const { observations } = decoded;
        const carried = await Promise.all([
          passes.enqueue('urgent', observations.filter(detected), rawInsert),
          passes.enqueue('plain', observations.filter((o) => !detected(o)), rawInsert),
        ]);
        // Counted now, not after the wait for the inserts below: nothing then refers to the
        // batch's decoded events, and they die young instead of outliving two collections.
        const result = batchResult(decoded, carried, deps.log);
        await Promise.all([rawInsert, ...carried.map((p) => p.settled)]);
        return result;
      } finally {
        // Settled before the batch is acknowledged or retried, whatever failed first.
        await rawInsert.catch(() => {});
      }
    },

    async rescore(refs, source) {
      const policy = deps.policy();
      const t = now();
      const reliability = deps.reliability?.();
      const items = await Promise.all(refs.map(async (ref) => {
        const decoded = held.latest(ref.key, await readState(ref));
        return { ref, decoded, assessment: assess(decoded.state, policy, t, reliability) };
      }));
      const locallyConvicted: IndicatorRef[] = [];
      const changes = await writeRecords(items, source, policy, locallyConvicted);
      if (locallyConvicted.length > 0) {
        const at = now();
        await redis.zadd(pendingPropagationKey(prefix), ...locallyConvicted.flatMap((r) => [at, walkEntry(r)]));
      }
      const marking = held.hold(changes, source);
      try {
        await correlator.insertVerdictLog(changes);
        await marking.mark();
      } finally {
        marking.release();
      }
      return changes;
    },

    async inspect(ref) {
      const decoded = await readState(ref);
      return { decoded, assessment: assess(decoded.state, deps.policy(), now(), deps.reliability?.()) };
    },

    assessState(state) {
      return assess(state, deps.policy(), now(), deps.reliability?.());
    },

    async insertVerdictLog(changes) {
      await verdictLog.insert(changes, deps.policy());
    },
  };
  return correlator;
}
