import type { ClickHouseClient, TelemetryRow, VerdictLogRow } from '@repute/analytics';
import type { BusMessage } from '@repute/bus';
import type { IndicatorKind, ReputationRecord } from '@repute/core';
import type { RedisClient, ReputationStore } from '@repute/store';
import { decodeEnvelope } from '@repute/telemetry';
import { observe, telemetryRows, type Observation } from './events/observations.ts';
import type { Policy, Verdict } from './policy/load-policy.ts';
import { assess, type Assessment } from './scoring/score.ts';
import { decodeState, detectionField, type DecodedState } from './state/decode-state.ts';
import { OBSERVE_SCRIPT, READ_SCRIPT } from './state/observe-script.ts';
import { pendingPropagationKey, stateKeys } from './state/state-keys.ts';

/** An indicator by identity. */
export interface IndicatorRef {
  kind: IndicatorKind;
  value: string;
  digest: string;
  key: string;
}

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
  /** Key prefix of the correlator's own state. */
  prefix: string;
  /** How long an event id is remembered for deduplication, seconds. */
  dedupTtlSeconds?: number;
  log?: CorrelatorLog;
  /** Called per written verdict change (metrics, benchmarks). */
  onVerdict?: (change: VerdictChange) => void;
  now?: () => number;
}

export interface VerdictChange {
  ref: IndicatorRef;
  previous: Verdict;
  record: ReputationRecord;
  source: VerdictLogRow['source'];
  /** When the event that decided it was accepted by ingest (stream changes only). */
  receivedAt?: number;
}

export interface BatchResult {
  events: number;
  duplicates: number;
  rows: number;
  changes: number;
  invalid: number;
}

interface ObserveCommands {
  reputeObserve(...args: (string | number)[]): unknown;
  reputeRead(...args: (string | number)[]): unknown;
}

const HOUR = 3_600_000;
const SEVERE = new Set<Verdict>(['malicious', 'suspicious']);

/** The correlator's per-batch pipeline and the shared re-scoring path. */
export interface Correlator {
  handle(batch: BusMessage[]): Promise<BatchResult>;
  /** Re-scores indicators from their stored state (after propagation or an override). */
  rescore(refs: IndicatorRef[], source: VerdictLogRow['source']): Promise<VerdictChange[]>;
  /** Reads an indicator's state and assessment without changing anything. */
  inspect(ref: IndicatorRef): Promise<{ decoded: DecodedState; assessment: Assessment }>;
  insertVerdictLog(changes: VerdictChange[]): Promise<void>;
}

export function createCorrelator(deps: CorrelatorDeps): Correlator {
  const { redis, store, clickhouse, database, prefix } = deps;
  const ttl = deps.dedupTtlSeconds ?? 600;
  const now = deps.now ?? Date.now;
  redis.defineCommand('reputeObserve', { numberOfKeys: 8, lua: OBSERVE_SCRIPT });
  redis.defineCommand('reputeRead', { numberOfKeys: 7, lua: READ_SCRIPT });
  let sequence = 0;

  // Versions only need to grow per indicator; milliseconds × 1000 plus a rolling counter keeps
  // them increasing across restarts without a Redis round trip.
  const nextVersion = () => now() * 1000 + (sequence = (sequence + 1) % 1000);

  const keyArgs = (key: string) => {
    const k = stateKeys(prefix, key);
    return [k.state, k.sensors, k.tenants, k.detectingSensors, k.detectingTenants, k.graph, k.override];
  };

  function recordOf(ref: IndicatorRef, decoded: DecodedState, a: Assessment): ReputationRecord {
    const s = decoded.state;
    return {
      kind: ref.kind,
      value: ref.value,
      verdict: a.verdict,
      score: a.score,
      confidence: a.confidence,
      categories: [],
      firstSeen: Math.min(s.firstSeen, s.lastSeen),
      lastSeen: s.lastSeen,
      prevalence: { sensors: s.sensors, tenants: s.tenants },
      reasons: a.reasons.map((r) => ({ rule: r.rule, weight: r.weight, evidence: r.evidence, ...(r.detail !== undefined ? { detail: r.detail } : {}) })),
      version: nextVersion(),
      ttl: a.ttl,
    };
  }

  /** Writes the records of changed verdicts, marks them, queues them for propagation. */
  async function commit(items: { ref: IndicatorRef; decoded: DecodedState; assessment: Assessment; receivedAt?: number }[], source: VerdictLogRow['source']): Promise<VerdictChange[]> {
    const changes: VerdictChange[] = [];
    const writes = items
      .filter((i) => i.assessment.verdict !== i.decoded.verdict)
      .map(async (i) => {
        const record = recordOf(i.ref, i.decoded, i.assessment);
        await store.write(record);
        const change: VerdictChange = { ref: i.ref, previous: i.decoded.verdict, record, source, ...(i.receivedAt !== undefined ? { receivedAt: i.receivedAt } : {}) };
        changes.push(change);
        deps.onVerdict?.(change);
      });
    await Promise.all(writes);
    if (changes.length === 0) return changes;
    const pipeline = redis.pipeline();
    for (const c of changes) {
      pipeline.hset(stateKeys(prefix, c.ref.key).state, 'vd', c.record.verdict);
      if (source !== 'propagation' && (SEVERE.has(c.record.verdict) || SEVERE.has(c.previous))) {
        pipeline.zadd(pendingPropagationKey(prefix), now(), JSON.stringify({ kind: c.ref.kind, value: c.ref.value, digest: c.ref.digest, key: c.ref.key }));
      }
    }
    await pipeline.exec();
    return changes;
  }

  async function insertRows(table: string, values: object[], token?: string): Promise<void> {
    if (values.length === 0) return;
    await clickhouse.insert({
      table: `${database}.${table}`,
      values,
      format: 'JSONEachRow',
      // A redelivered batch carries the same bus ids, so its retry is dropped, views included.
      ...(token !== undefined ? { clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 } } : {}),
    });
  }

  function logRows(changes: VerdictChange[], policy: Policy): VerdictLogRow[] {
    return changes.map((c) => ({
      time: now(),
      kind: c.ref.kind,
      digest: c.ref.digest,
      value: c.ref.value,
      verdict: c.record.verdict,
      previous_verdict: c.previous,
      score: c.record.score,
      confidence: c.record.confidence,
      source: c.source,
      reasons: JSON.stringify(c.record.reasons),
      policy_version: policy.version,
      record_version: c.record.version,
    }));
  }

  const correlator: Correlator = {
    async handle(batch) {
      const policy = deps.policy();
      const observations: Observation[] = [];
      let invalid = 0;
      for (const message of batch) {
        try {
          observations.push(observe(decodeEnvelope(message.value)));
        } catch (err) {
          // Ingest validated the event; what cannot be read now never will be, so it is counted and skipped.
          invalid += 1;
          deps.log?.warn({ err, id: message.id }, 'unreadable telemetry message skipped');
        }
      }
      const pipeline = redis.pipeline() as unknown as ObserveCommands & { exec(): Promise<[Error | null, unknown][] | null> };
      const calls: { ref: IndicatorRef; o: Observation }[] = [];
      for (const o of observations) {
        o.mentions.forEach((m, i) => {
          const d = i === 0 ? o.detection : undefined;
          const field = d === undefined ? '' : detectionField(d.source, d.category, Math.floor(o.time / HOUR) * HOUR, d.engine);
          pipeline.reputeObserve(
            ...keyArgs(m.key), stateKeys(prefix, m.key).seen(o.eventId),
            ttl, o.sensor, o.tenant, o.time, m.value, i === 0 && o.signed ? 1 : 0, field, d !== undefined && d.category !== 'clean' ? 1 : 0,
          );
          calls.push({ ref: m, o });
        });
      }
      const replies = (await pipeline.exec()) ?? [];
      // The last reply per indicator carries its state after the whole batch.
      const latest = new Map<string, { ref: IndicatorRef; decoded: DecodedState; receivedAt: number }>();
      const fresh = new Set<string>();
      replies.forEach(([err, reply], i) => {
        const call = calls[i]!;
        if (err !== null) throw err;
        const decoded = decodeState(call.ref.kind, call.ref.value, reply);
        if (decoded.applied) fresh.add(call.o.eventId);
        latest.set(call.ref.key, { ref: call.ref, decoded, receivedAt: call.o.receivedAt });
      });
      const t = now();
      const changes = await commit(
        [...latest.values()].map((l) => ({ ...l, assessment: assess(l.decoded.state, policy, t) })),
        'stream',
      );
      // Every row is inserted, duplicates included: a redelivered batch may be one whose insert
      // never happened. The token drops a retried batch; ReplacingMergeTree collapses the rest.
      const rows: TelemetryRow[] = observations.flatMap(telemetryRows);
      const token = batch.length > 0 ? `${batch[0]!.id}..${batch.at(-1)!.id}:${batch.length}` : undefined;
      await Promise.all([insertRows('telemetry_raw', rows, token), insertRows('verdict_log', logRows(changes, policy))]);
      return { events: observations.length, duplicates: observations.length - fresh.size, rows: rows.length, changes: changes.length, invalid };
    },

    async rescore(refs, source) {
      const policy = deps.policy();
      const t = now();
      const items = await Promise.all(refs.map(async (ref) => {
        const decoded = decodeState(ref.kind, ref.value, await (redis as unknown as ObserveCommands).reputeRead(...keyArgs(ref.key)));
        return { ref, decoded, assessment: assess(decoded.state, policy, t) };
      }));
      const changes = await commit(items, source);
      await correlator.insertVerdictLog(changes);
      return changes;
    },

    async inspect(ref) {
      const decoded = decodeState(ref.kind, ref.value, await (redis as unknown as ObserveCommands).reputeRead(...keyArgs(ref.key)));
      return { decoded, assessment: assess(decoded.state, deps.policy(), now()) };
    },

    async insertVerdictLog(changes) {
      await insertRows('verdict_log', logRows(changes, deps.policy()));
    },
  };
  return correlator;
}
