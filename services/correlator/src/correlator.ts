import { createHash } from 'node:crypto';
import { TELEMETRY_COLUMNS, telemetryTuple, type ClickHouseClient, type TelemetryRow, type VerdictLogRow } from '@repute/analytics';
import type { BusMessage } from '@repute/bus';
import type { IndicatorKind, ReputationRecord } from '@repute/core';
import { isCluster, type RedisClient, type ReputationStore } from '@repute/store';
import { decodeEnvelope } from '@repute/telemetry';
import { observe, telemetryRows, type DigestCache, type Mention, type Observation } from './events/observations.ts';
import type { Policy, Verdict } from './policy/load-policy.ts';
import { assess, type Assessment } from './scoring/score.ts';
import { decodeState, detectionField, type DecodedState } from './state/decode-state.ts';
import { OBSERVE_BATCH_SCRIPT, READ_SCRIPT } from './state/observe-script.ts';
import { execBySlot, type KeyCommand } from './state/slot-pipeline.ts';
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
  reputeObserveBatch(...args: (string | number)[]): Promise<unknown>;
  reputeRead(...args: (string | number)[]): Promise<unknown>;
}

const HOUR = 3_600_000;
/** Width of the dedup sets, in event time. */
const DEDUP_BUCKET_MS = 60_000;
// Events per script call: a call holds Redis for its duration, and the edge's lookups wait
// behind it; 1000 events is about a millisecond of server time.
const CHUNK_EVENTS = 1000;

/** 48 bits of the event id: an integer, so a dedup set stays a compact intset. */
function idHash(id: string): string {
  return String(createHash('md5').update(id).digest().readUIntBE(0, 6));
}

/** One indicator of a batch with the events that mention it, in bus order. */
interface IndicatorEvents {
  ref: Mention;
  receivedAt: number;
  events: { o: Observation; subject: boolean; hash: string }[];
}

interface ScriptCall {
  keys: string[];
  /** Per indicator, in the script's ARGV[1] layout. */
  indicators: (string | number | number[])[][];
  items: IndicatorEvents[];
  events: number;
}
const SEVERE = new Set<Verdict>(['malicious', 'suspicious']);

/** The sorted rule ids behind a verdict: what tells a record's reasons apart. */
function ruleSignature(from: { reasons: readonly { rule: string }[] }): string {
  return [...new Set(from.reasons.map((r) => r.rule))].sort().join(',');
}

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
  const ttl = deps.dedupTtlSeconds ?? 300;
  const commands = redis as unknown as ObserveCommands;
  const now = deps.now ?? Date.now;
  redis.defineCommand('reputeObserveBatch', { lua: OBSERVE_BATCH_SCRIPT });
  redis.defineCommand('reputeRead', { numberOfKeys: 5, lua: READ_SCRIPT });
  let sequence = 0;
  // Batches may be handled two at a time (the bus overlaps them). Their state phases take turns:
  // a batch reads each indicator's written verdict (`vd`) to tell a change, and a batch that
  // changes verdicts sets `vd` only after its log rows are in, so the next batch waits for
  // that; a batch without changes hands over as soon as it has assessed, and its telemetry
  // insert overlaps the next batch's Redis work.
  let stateTurn: Promise<void> = Promise.resolve();

  // Versions only need to grow per indicator; milliseconds × 1000 plus a rolling counter keeps
  // them increasing across restarts without a Redis round trip.
  const nextVersion = () => now() * 1000 + (sequence = (sequence + 1) % 1000);

  const keyArgs = (key: string) => {
    const k = stateKeys(prefix, key);
    return [k.state, k.sensors, k.tenants, k.detectingSensors, k.detectingTenants];
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

  /**
   * Writes the records of changed verdicts; the edge serves them from here on. A record whose
   * verdict stays but whose rules changed (a sandbox report after two engines had convicted) is
   * rewritten too, so the reasons an agent or analyst reads stay true; that is no verdict
   * change, so it is neither logged nor propagated. New counts alone (prevalence, last seen)
   * do not rewrite a record: that would be a write per event.
   */
  async function writeRecords(items: { ref: IndicatorRef; decoded: DecodedState; assessment: Assessment; receivedAt?: number }[], source: VerdictLogRow['source']): Promise<VerdictChange[]> {
    const changes: VerdictChange[] = [];
    const refreshed = items.filter((i) => i.assessment.verdict === i.decoded.verdict && i.assessment.verdict !== 'unknown' && ruleSignature(i.assessment) !== i.decoded.rules);
    const refreshes = refreshed.length === 0 ? Promise.resolve() : (async () => {
      await Promise.all(refreshed.map((i) => store.write(recordOf(i.ref, i.decoded, i.assessment))));
      await execBySlot(redis, refreshed.map((i): KeyCommand => ['hset', stateKeys(prefix, i.ref.key).state, 'rs', ruleSignature(i.assessment)]));
    })();
    const writes = items
      .filter((i) => i.assessment.verdict !== i.decoded.verdict)
      .map(async (i) => {
        const record = recordOf(i.ref, i.decoded, i.assessment);
        await store.write(record);
        const change: VerdictChange = { ref: i.ref, previous: i.decoded.verdict, record, source, ...(i.receivedAt !== undefined ? { receivedAt: i.receivedAt } : {}) };
        changes.push(change);
        deps.onVerdict?.(change);
      });
    await Promise.all([...writes, refreshes]);
    return changes;
  }

  /**
   * Marks the changes as done and queues them for propagation. Runs after their log rows were
   * inserted: a crash before this point re-decides (and re-logs) the change on redelivery
   * instead of losing its log row.
   */
  async function markWritten(changes: VerdictChange[], source: VerdictLogRow['source']): Promise<void> {
    if (changes.length === 0) return;
    const commands: KeyCommand[] = [];
    for (const c of changes) {
      commands.push(['hset', stateKeys(prefix, c.ref.key).state, 'vd', c.record.verdict, 'rs', ruleSignature(c.record)]);
      // A verdict that propagation moved across `malicious` is passed on in turn (a payload
      // convicted through the droppers that started it raises the URL it came from); smaller
      // moves stay where they are, so suspicion alone never snowballs.
      const cascades = source === 'propagation' ? c.record.verdict === 'malicious' || c.previous === 'malicious' : SEVERE.has(c.record.verdict) || SEVERE.has(c.previous);
      if (cascades) {
        commands.push(['zadd', pendingPropagationKey(prefix), now(), JSON.stringify({ kind: c.ref.kind, value: c.ref.value, digest: c.ref.digest, key: c.ref.key })]);
      }
    }
    // The indicators' state keys lie in different slots of a cluster: sent per slot there.
    await execBySlot(redis, commands);
  }

  /** Groups a batch's events by indicator and packs them into script calls. */
  function scriptCalls(observations: Observation[]): ScriptCall[] {
    const byKey = new Map<string, IndicatorEvents>();
    for (const o of observations) {
      const hash = idHash(o.eventId);
      o.mentions.forEach((m, i) => {
        let entry = byKey.get(m.key);
        if (entry === undefined) {
          entry = { ref: m, receivedAt: o.receivedAt, events: [] };
          byKey.set(m.key, entry);
        }
        entry.receivedAt = o.receivedAt;
        entry.events.push({ o, subject: i === 0, hash });
      });
    }
    const nowS = Math.floor(now() / 1000);
    const calls: ScriptCall[] = [];
    let call: ScriptCall | undefined;
    // On a cluster every indicator is its own call: its keys share one hash tag, hence one slot.
    const perIndicator = isCluster(redis);
    for (const entry of byKey.values()) {
      if (call === undefined || call.events >= CHUNK_EVENTS || perIndicator) {
        call = { keys: [], indicators: [], items: [], events: 0 };
        calls.push(call);
      }
      const k = stateKeys(prefix, entry.ref.key);
      const minutes = new Map<number, number>();
      const expireAts: number[] = [];
      const packed: (string | number | number[])[] = [entry.ref.value, expireAts];
      for (const { o, subject, hash } of entry.events) {
        const minute = Math.floor(o.time / DEDUP_BUCKET_MS);
        let set = minutes.get(minute);
        if (set === undefined) minutes.set(minute, (set = minutes.size + 1));
        const d = subject ? o.detection : undefined;
        const field = d === undefined ? '' : detectionField(d.source, d.category, Math.floor(o.time / HOUR) * HOUR, d.engine);
        packed.push(set, hash, o.sensor, o.tenant, String(o.time), subject && o.signed ? 1 : 0, field, d !== undefined && d.category !== 'clean' ? 1 : 0);
      }
      call.keys.push(k.state, k.sensors, k.tenants, k.detectingSensors, k.detectingTenants);
      // A set outlives its minute by the dedup window, counted from now for old events.
      for (const minute of minutes.keys()) {
        call.keys.push(k.dedup(minute));
        expireAts.push(Math.max(Math.ceil(((minute + 1) * DEDUP_BUCKET_MS) / 1000), nowS) + ttl);
      }
      call.indicators.push(packed);
      call.items.push(entry);
      call.events += entry.events.length;
    }
    return calls;
  }

  async function runCalls(calls: ScriptCall[]): Promise<unknown[][]> {
    if (isCluster(redis)) return await Promise.all(calls.map((c) => commands.reputeObserveBatch(c.keys.length, ...c.keys, JSON.stringify(c.indicators)) as Promise<unknown[]>));
    const pipeline = redis.pipeline() as unknown as ObserveCommands & { exec(): Promise<[Error | null, unknown][] | null> };
    for (const c of calls) void pipeline.reputeObserveBatch(c.keys.length, ...c.keys, JSON.stringify(c.indicators));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, reply]) => {
      if (err !== null) throw err;
      return reply as unknown[];
    });
  }

  async function insertRows(table: string, values: object[]): Promise<void> {
    if (values.length === 0) return;
    await clickhouse.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
  }

  /** Telemetry goes as tuples: about a third less CPU a row than objects (see `telemetryTuple`). */
  async function insertTelemetry(rows: TelemetryRow[], token: string): Promise<void> {
    if (rows.length === 0) return;
    await clickhouse.insert({
      table: `${database}.telemetry_raw`,
      values: rows.map(telemetryTuple),
      format: 'JSONCompactEachRow',
      columns: [...TELEMETRY_COLUMNS],
      // A redelivered batch carries the same bus ids, so its retry is dropped, views included.
      clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
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
      const digests: DigestCache = new Map();
      let invalid = 0;
      for (const message of batch) {
        try {
          observations.push(observe(decodeEnvelope(message.value), digests));
        } catch (err) {
          // Ingest validated the event; what cannot be read now never will be, so it is counted and skipped.
          invalid += 1;
          deps.log?.warn({ err, id: message.id }, 'unreadable telemetry message skipped');
        }
      }
      // The raw rows do not depend on the state: their insert runs while Redis works. Every row
      // is inserted, duplicates included: a redelivered batch may be one whose insert never
      // happened. The token drops a retried batch; ReplacingMergeTree collapses the rest.
      const rows: TelemetryRow[] = observations.flatMap(telemetryRows);
      const token = batch.length > 0 ? `${batch[0]!.id}..${batch.at(-1)!.id}:${batch.length}` : '';
      const rawInsert = insertTelemetry(rows, token);
      // Awaited below; until then a failure must not count as unhandled.
      rawInsert.catch(() => {});
      const previousTurn = stateTurn;
      let endTurn!: () => void;
      stateTurn = new Promise<void>((resolve) => (endTurn = resolve));
      try {
        await previousTurn;
        const calls = scriptCalls(observations);
        const replies = await runCalls(calls);
        const fresh = new Set<string>();
        const t = now();
        const items: { ref: IndicatorRef; decoded: DecodedState; assessment: Assessment; receivedAt: number }[] = [];
        calls.forEach((call, c) => {
          const reply = replies[c]!;
          call.items.forEach((entry, i) => {
            const r = reply[i] as unknown[];
            const flags = String(r[0]);
            entry.events.forEach((e, j) => {
              if (flags[j] === '1') fresh.add(e.o.eventId);
            });
            const decoded = decodeState(entry.ref.kind, entry.ref.value, r);
            items.push({ ref: entry.ref, decoded, assessment: assess(decoded.state, policy, t), receivedAt: entry.receivedAt });
          });
        });
        const changes = await writeRecords(items, 'stream');
        if (changes.length === 0) endTurn();
        await Promise.all([rawInsert, insertRows('verdict_log', logRows(changes, policy))]);
        await markWritten(changes, 'stream');
        return { events: observations.length, duplicates: observations.length - fresh.size, rows: rows.length, changes: changes.length, invalid };
      } finally {
        endTurn();
        // Settled before the batch is acknowledged or retried, whatever failed first.
        await rawInsert.catch(() => {});
      }
    },

    async rescore(refs, source) {
      const policy = deps.policy();
      const t = now();
      const items = await Promise.all(refs.map(async (ref) => {
        const decoded = decodeState(ref.kind, ref.value, await commands.reputeRead(...keyArgs(ref.key)));
        return { ref, decoded, assessment: assess(decoded.state, policy, t) };
      }));
      const changes = await writeRecords(items, source);
      await correlator.insertVerdictLog(changes);
      await markWritten(changes, source);
      return changes;
    },

    async inspect(ref) {
      const decoded = decodeState(ref.kind, ref.value, await commands.reputeRead(...keyArgs(ref.key)));
      return { decoded, assessment: assess(decoded.state, deps.policy(), now()) };
    },

    async insertVerdictLog(changes) {
      await insertRows('verdict_log', logRows(changes, deps.policy()));
    },
  };
  return correlator;
}
