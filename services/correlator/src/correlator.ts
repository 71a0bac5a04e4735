import { hash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { insertEncoded, TELEMETRY_COLUMNS, telemetryTuple, type ClickHouseClient, type VerdictLogRow } from '@repute/analytics';
import type { BusMessage, RejectedMessage } from '@repute/bus';
import type { Verdict } from '@repute/core';
import { isCluster, type RedisClient, type ReputationStore } from '@repute/store';
import { decodeValidatedEnvelope } from '@repute/telemetry';
import {
  allowListOf, assess, convictedAnywhere, decodeState, execBySlot, pendingPropagationKey, recordOf, recordSignature, stateKeys, verdictLogRows, wordField, writtenCommands,
  type Assessment, type DecodedState, type IndicatorRef, type KeyCommand, type Policy, type ReliabilityMap, type VerdictChange,
} from '@repute/verdicts';
import { hostOf, observe, telemetryRows, type DigestCache, type Mention, type Observation } from './events/observations.ts';
import { OBSERVE_BATCH_SCRIPT } from './state/observe-script.ts';
import { insertQueue, takeGroup } from './sink/insert-queue.ts';
import { LineBuffer } from './sink/line-buffer.ts';

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

interface ObserveCommands {
  reputeObserveBatch(...args: (string | number)[]): Promise<unknown>;
}

/** Width of the dedup sets, in event time. */
const DEDUP_BUCKET_MS = 60_000;
// Events per script call: a call holds Redis for its duration, and the edge's lookups wait
// behind it; 1000 events is about a millisecond of server time.
const CHUNK_EVENTS = 1000;
// A batch's work is handed back to the event loop every this many events, also while a pass
// groups them and reads its script replies: a process that also serves lookups or follows the
// update stream (the one-machine launcher) would otherwise stall for the whole of a large batch.
const YIELD_EVERY = 250;
const SEVERE = new Set<Verdict>(['malicious', 'suspicious']);
/** An accused indicator with new relations is walked again at most this often. */
const REQUEUE_COOLDOWN_MS = 5_000;
/** Indicators whose last re-walk is remembered before the expired ones are forgotten. */
const REQUEUE_REMEMBERED = 10_000;
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

/** 48 bits of the event id: an integer, so a dedup set stays a compact intset. */
function idHash(id: string): string {
  // The one-shot hash: the same digest, about half the CPU of a Hash object per id.
  return String(hash('md5', id, 'buffer').readUIntBE(0, 6));
}

/** One indicator of a batch with the events that mention it, in bus order. */
/** An indicator to walk again, not before `at` (now when unset). */
type Requeued = IndicatorRef & { at?: number };

interface IndicatorEvents {
  ref: Mention;
  receivedAt: number;
  events: { o: Observation; subject: boolean; detected: boolean; hash: string }[];
}

/** A batch's telemetry rows, encoded. */
interface EncodedRows {
  body: Buffer;
  rows: number;
}

interface ScriptCall {
  keys: string[];
  /** Per indicator, in the script's ARGV[1] layout. */
  indicators: (string | number | number[])[][];
  items: IndicatorEvents[];
  events: number;
}

/** A batch's share of what the passes that carried it found (a pass may carry other batches too). */
function shareOf(observations: Observation[], passes: { changes: VerdictChange[] }[]): Pick<BatchResult, 'events' | 'duplicates' | 'changes'> {
  const fresh = observations.reduce((n, o) => (o.applied === true ? n + 1 : n), 0);
  const mine = new Set<string>();
  for (const o of observations) for (const m of o.mentions) mine.add(m.key);
  const changes = passes.reduce((n, p) => n + p.changes.filter((c) => mine.has(c.ref.key)).length, 0);
  return { events: observations.length, duplicates: observations.length - fresh, changes };
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

export function createCorrelator(deps: CorrelatorDeps): Correlator {
  const { redis, store, clickhouse, database, prefix } = deps;
  const ttl = deps.dedupTtlSeconds ?? 300;
  const commands = redis as unknown as ObserveCommands;
  const now = deps.now ?? Date.now;
  redis.defineCommand('reputeObserveBatch', { lua: OBSERVE_BATCH_SCRIPT });
  let sequence = 0;
  const requeuedAt = new Map<string, number>();
  // Batches may be handled many at a time (the bus overlaps them). Their state work goes in
  // passes, one after another: a pass takes every batch waiting (see `drainState`), and hands
  // over as soon as its records are written; the log rows and ClickHouse inserts follow on
  // their own. A pass tells a change from the indicator's written verdict (`vd`), which is set
  // only after the change's log row is in, so that a crash before then re-decides (and logs)
  // the change on redelivery. Until then the verdict just written is held here, and the passes
  // after it read it from here instead of the older `vd`.
  const unmarked = new Map<string, { verdict: Verdict; rules: string; refreshedAt?: number }>();
  // The end of the chain that sets `vd` in decision order (see `hold`).
  let markTurn: Promise<void> = Promise.resolve();
  const withUnmarked = (key: string, decoded: DecodedState): DecodedState => {
    const u = unmarked.get(key);
    return u === undefined ? decoded : { ...decoded, verdict: u.verdict, rules: u.rules, refreshedAt: Math.max(decoded.refreshedAt, u.refreshedAt ?? 0) };
  };

  // Versions only need to grow per indicator; milliseconds × 1000 plus a rolling counter keeps
  // them increasing across restarts without a Redis round trip.
  const nextVersion = () => now() * 1000 + (sequence = (sequence + 1) % 1000);

  /** An indicator's state as it stands, without changing it (propagation and overrides re-score with it). */
  const readState = async (ref: IndicatorRef): Promise<DecodedState> =>
    decodeState(ref.kind, ref.value, await redis.call('HGETALL', stateKeys(prefix, ref.key).state));

  /**
   * Writes the records of changed verdicts; the edge serves them from here on. A record whose
   * verdict stays but whose explanation changed (new rules, a tenant's view) is rewritten too,
   * so the reasons an agent or analyst reads stay true; that is no verdict change, so it is
   * neither logged nor propagated. So is a served record whose prevalence or last sighting moved,
   * at most once per `refreshMs` per indicator: a record's counts stay current within that
   * without a write per event.
   */
  async function writeRecords(items: { ref: IndicatorRef; decoded: DecodedState; assessment: Assessment; receivedAt?: number }[], source: VerdictLogRow['source'], policy: Policy, locallyConvicted?: IndicatorRef[]): Promise<VerdictChange[]> {
    const changes: VerdictChange[] = [];
    const t = now();
    const refreshed = items.filter((i) => {
      const a = i.assessment;
      if (a.verdict !== i.decoded.verdict || a.verdict === 'unknown') return false;
      const signature = recordSignature(a);
      // Newly convicted in a tenant's view (the global verdict unchanged): walked for that tenant.
      if (signature !== i.decoded.rules && convictedAnywhere(a) && !i.decoded.rules.includes('=malicious')) locallyConvicted?.push(i.ref);
      return signature !== i.decoded.rules || (i.decoded.refreshedAt < i.decoded.state.lastSeen && t - i.decoded.refreshedAt >= policy.doc.refreshMs);
    });
    const refreshes = refreshed.length === 0 ? Promise.resolve() : (async () => {
      await Promise.all(refreshed.map((i) => store.write(recordOf(i.ref, i.decoded, i.assessment, nextVersion()))));
      for (const i of refreshed) {
        const held = unmarked.get(i.ref.key);
        if (held !== undefined) held.refreshedAt = t;
      }
      await execBySlot(redis, refreshed.map((i): KeyCommand => ['hset', stateKeys(prefix, i.ref.key).state, 'rs', recordSignature(i.assessment), 'rp', t]));
    })();
    const writes = items
      .filter((i) => i.assessment.verdict !== i.decoded.verdict)
      .map(async (i) => {
        const record = recordOf(i.ref, i.decoded, i.assessment, nextVersion());
        await store.write(record);
        const change: VerdictChange = { ref: i.ref, previous: i.decoded.verdict, record, source, ...(i.receivedAt !== undefined ? { receivedAt: i.receivedAt } : {}) };
        changes.push(change);
        deps.onVerdict?.(change);
      });
    await Promise.all([...writes, refreshes]);
    return changes;
  }

  interface Held {
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
   * Holds just-written changes until `vd` is set (see `unmarked`) and takes their turn in the
   * order `vd` is set: the order they were decided, whichever log insert finishes first. Marking
   * runs after their log rows were inserted: a crash before it re-decides (and re-logs) the
   * change on redelivery instead of losing its log row.
   */
  function hold(changes: VerdictChange[], source: VerdictLogRow['source']): Held {
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
  }

  /** Sets `vd` and queues the changes for propagation. */
  async function setWritten(changes: VerdictChange[], source: VerdictLogRow['source']): Promise<void> {
    // The indicators' state keys lie in different slots of a cluster: sent per slot there.
    await execBySlot(redis, writtenCommands(changes, source, prefix, now()));
  }

  /**
   * Groups events by indicator, each indicator's in bus order, running `between` at each turn
   * handed back to the event loop.
   */
  async function byIndicator(observations: Observation[], between?: () => Promise<void>): Promise<IndicatorEvents[]> {
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

  /** Packs indicators' events into script calls. */
  function scriptCalls(entries: IndicatorEvents[]): ScriptCall[] {
    const nowS = Math.floor(now() / 1000);
    const calls: ScriptCall[] = [];
    let call: ScriptCall | undefined;
    // On a cluster every indicator is its own call: its keys share one hash tag, hence one slot.
    const perIndicator = isCluster(redis);
    for (const entry of entries) {
      if (call === undefined || call.events >= CHUNK_EVENTS || perIndicator) {
        call = { keys: [], indicators: [], items: [], events: 0 };
        calls.push(call);
      }
      const k = stateKeys(prefix, entry.ref.key);
      const minutes = new Map<number, number>();
      const expireAts: number[] = [];
      const packed: (string | number | number[])[] = [entry.ref.value, expireAts];
      for (const { o, subject, detected, hash } of entry.events) {
        const minute = Math.floor(o.time / DEDUP_BUCKET_MS);
        let set = minutes.get(minute);
        if (set === undefined) minutes.set(minute, (set = minutes.size + 1));
        const d = detected ? o.detection : undefined;
        // Sensors are the tenant's own names: counted within their tenant, so one tenant's
        // invented sensor ids are never somebody else's.
        packed.push(set, hash, `${o.tenant}/${o.sensor}`, o.tenant, String(o.time), subject && o.signed ? 1 : 0,
          d === undefined ? '' : wordField(d.source, o.tenant, d.engine), d === undefined ? '' : `${d.category}|${o.trusted ? 1 : 0}`);
      }
      call.keys.push(k.state, k.sensors, k.tenants);
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

  // Telemetry goes as tuples: about a third less CPU a row than objects (see `telemetryTuple`),
  // encoded as the events are decoded, a batch's rows into one Buffer (see `LineBuffer`).
  // Batches handled at once share inserts (see `insertQueue`).
  const telemetry = insertQueue<EncodedRows>(async (blocks, token) => {
    await insertEncoded(clickhouse, {
      table: `${database}.telemetry_raw`,
      columns: TELEMETRY_COLUMNS,
      body: blocks.length === 1 ? blocks[0]!.body : Buffer.concat(blocks.map((b) => b.body)),
      // A retried batch carries the same bus ids, so its retry is dropped, views included.
      settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
    });
  }, { minIntervalMs: deps.insertIntervalMs ?? 0, rowsOf: (b) => b.rows });
  const verdictLog = insertQueue<VerdictLogRow>((rows) => insertRows('verdict_log', rows), { minIntervalMs: deps.insertIntervalMs ?? 0 });

  const logRows = (changes: VerdictChange[], policy: Policy): VerdictLogRow[] => verdictLogRows(changes, policy.version, now());

  /** Runs indicators' scripts, assesses them and writes their records, into `into`. */
  async function applySlice(entries: IndicatorEvents[], policy: Policy, into: { changes: VerdictChange[]; held: Held[]; requeue: Requeued[] }): Promise<void> {
    const calls = scriptCalls(entries);
    const entriesByKey = new Map<string, IndicatorEvents>();
    for (const e of entries) entriesByKey.set(e.ref.key, e);
    const reliability = deps.reliability?.();
    const replies = await runCalls(calls);
    const t = now();
    const items: { ref: IndicatorRef; decoded: DecodedState; assessment: Assessment; receivedAt: number }[] = [];
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
        const r = reply[i] as unknown[];
        const flags = String(r[0]);
        entry.events.forEach((e, j) => {
          if (flags[j] === '1') e.o.applied = true;
          else if (flags[j] === 'x') e.o.refused = `the state script refused its values for ${entry.ref.kind} ${entry.ref.digest}`;
        });
        const decoded = withUnmarked(entry.ref.key, decodeState(entry.ref.kind, entry.ref.value, r[1]));
        items.push({ ref: entry.ref, decoded, assessment: assess(decoded.state, policy, t, reliability), receivedAt: entry.receivedAt });
      }
    }
    const changes = await writeRecords(items, 'stream', policy, into.requeue);
    into.changes.push(...changes);
    // An indicator that stays accused but shows new relations (a convicted file downloaded by
    // one more machine, from one more URL) is walked again: what it accuses grows with them.
    for (let n = 0; n < items.length; n++) {
      const i = items[n]!;
      if (i.assessment.verdict !== i.decoded.verdict || !SEVERE.has(i.assessment.verdict)) continue;
      const entry = entriesByKey.get(i.ref.key);
      if (entry === undefined || !entry.events.some((e) => e.o.mentions.length > 1)) continue;
      // At most one walk per cooldown: a relation that arrives within it is walked when the
      // cooldown ends (the queue holds one entry per indicator, at its earliest time).
      const last = requeuedAt.get(i.ref.key);
      const at = last !== undefined && t - last < REQUEUE_COOLDOWN_MS ? last + REQUEUE_COOLDOWN_MS : t;
      if (at === last) continue;
      requeuedAt.set(i.ref.key, at);
      into.requeue.push({ ...i.ref, at });
    }
    if (requeuedAt.size > REQUEUE_REMEMBERED) for (const [key, at] of requeuedAt) if (t - at >= REQUEUE_COOLDOWN_MS) requeuedAt.delete(key);
    // Held at once, in decision order: a pass of detections may run before this pass's next slice.
    into.held.push(hold(changes, 'stream'));
  }

  interface StatePass {
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
  // Events with a detection wait apart from plain sightings, and go first (see `drainState`).
  const waiting: { urgent: Waiting[]; plain: Waiting[] } = { urgent: [], plain: [] };
  let draining = false;

  function enqueue(lane: 'urgent' | 'plain', observations: Observation[], inserted: Promise<void>): Promise<StatePass> {
    if (observations.length === 0) return Promise.resolve(EMPTY_PASS);
    return new Promise<StatePass>((resolve, reject) => {
      waiting[lane].push({ observations, inserted, resolve, reject });
      if (!draining) void drainState();
    });
  }

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
  async function runPass(lane: 'urgent' | 'plain'): Promise<void> {
    const group = takeGroup(waiting[lane], (w) => w.observations.length, PASS_EVENTS);
    const policy = deps.policy();
    const result = { changes: [] as VerdictChange[], held: [] as Held[], requeue: [] as Requeued[] };
    try {
      const urgentFirst = async () => {
        while (waiting.urgent.length > 0) await runPass('urgent');
      };
      const entries = await byIndicator(group.length === 1 ? group[0]!.observations : group.flatMap((g) => g.observations), lane === 'plain' ? urgentFirst : undefined);
      if (lane === 'urgent') await applySlice(entries, policy, result);
      else {
        const slice = sliceEvents(group.reduce((n, g) => n + g.observations.length, 0));
        for (let start = 0, sliced = 0; start < entries.length; start = sliced) {
          let n = 0;
          while (sliced < entries.length && (sliced === start || n < slice)) n += entries[sliced++]!.events.length;
          await applySlice(entries.slice(start, sliced), policy, result);
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
    const settled = (async () => {
      try {
        await verdictLog.insert(logRows(result.changes, policy), '');
        // Marking queues the changes for propagation, whose walks must find the relations
        // these batches carry. (A batch whose insert failed is retried anyway.)
        await Promise.allSettled(inserted);
        for (const h of result.held) await h.mark();
        if (result.requeue.length > 0) {
          const at = now();
          // LT: an indicator already waiting keeps its earlier turn.
          await redis.zadd(pendingPropagationKey(prefix), 'LT', ...result.requeue.flatMap((r) => [r.at ?? at, JSON.stringify({ kind: r.kind, value: r.value, digest: r.digest, key: r.key })]));
        }
      } finally {
        for (const h of result.held) h.release();
      }
    })();
    settled.catch(() => {});
    for (const g of group) g.resolve({ changes: result.changes, settled });
  }

  /** Passes one after another, detections first, while batches wait. */
  async function drainState(): Promise<void> {
    draining = true;
    try {
      while (waiting.urgent.length > 0 || waiting.plain.length > 0) await runPass(waiting.urgent.length > 0 ? 'urgent' : 'plain');
    } finally {
      draining = false;
    }
  }

  const correlator: Correlator = {
    async handle(batch) {
      const observations: Observation[] = [];
      // The raw rows do not depend on the state: their insert runs while Redis works. Every row
      // is inserted, duplicates included: a redelivered batch may be one whose insert never
      // happened. The token drops a retried batch; ReplacingMergeTree collapses the rest.
      const rows = new LineBuffer();
      const digests: DigestCache = new Map();
      const policy = deps.policy();
      // On a listed host (a file share, a top site) the query names the content, not a
      // recipient: `drive.google.com/uc?id=…` is a different file for every id.
      const tokenised = (url: string): boolean => {
        const host = hostOf(url);
        return host !== undefined && allowListOf(policy, host.kind, host.value) === undefined;
      };
      const rejected: RejectedMessage[] = [];
      // The message each observation came from, by position, for a refusal by the state script.
      const sources: BusMessage[] = [];
      for (let n = 0; n < batch.length; n++) {
        if (n > 0 && n % YIELD_EVERY === 0) await yieldToLoop();
        const message = batch[n]!;
        try {
          // Validated as ingest validates: anything can be appended to the bus, and one event
          // with a value of the wrong type must not reach the state script or ClickHouse, where
          // it would fail the whole batch on every retry. Measured on file events (half with a
          // URL): 2.4 µs of CPU an event to decode, about 5 µs to decode and validate, against
          // the 50–60 µs an event costs the correlator in all (bench-results/correlator.json).
          const o = observe(decodeValidatedEnvelope(message.value), digests, tokenised);
          const own = telemetryRows(o).map((r) => JSON.stringify(telemetryTuple(r)));
          observations.push(o);
          sources.push(message);
          for (let i = 0; i < own.length; i++) rows.push(own[i]!);
        } catch (err) {
          // What cannot be read now never will be: dead-lettered alone, with the reason.
          const reason = err instanceof Error ? `${(err as { code?: unknown }).code ?? err.name}: ${err.message}` : String(err);
          rejected.push({ message, reason });
          deps.log?.warn({ err, id: message.id }, 'invalid telemetry message rejected');
        }
      }
      const token = batch.length > 0 ? `${batch[0]!.id}..${batch.at(-1)!.id}:${batch.length}` : '';
      const rawInsert = rows.lines === 0 ? Promise.resolve() : telemetry.insert([{ body: rows.bytes(), rows: rows.lines }], token);
      // Awaited below; until then a failure must not count as unhandled.
      rawInsert.catch(() => {});
      try {
        const detected = (o: Observation) => o.detection !== undefined;
        const passes = await Promise.all([enqueue('urgent', observations.filter(detected), rawInsert), enqueue('plain', observations.filter((o) => !detected(o)), rawInsert)]);
        // Counted now, not after the wait for the inserts below: nothing then refers to the
        // batch's decoded events, and they die young instead of outliving two collections.
        const result: BatchResult = { ...shareOf(observations, passes), rows: rows.lines, invalid: 0, rejected };
        for (let n = 0; n < observations.length; n++) {
          const refused = observations[n]!.refused;
          if (refused === undefined) continue;
          // Only when the validation here and the script's own checks disagree: a bug to fix.
          deps.log?.error({ id: sources[n]!.id }, `telemetry message refused by the state script: ${refused}`);
          rejected.push({ message: sources[n]!, reason: `REPUTE_CORRELATOR_STATE_REFUSED: ${refused}` });
          result.events -= 1;
          if (observations[n]!.applied !== true) result.duplicates -= 1;
        }
        result.invalid = rejected.length;
        await Promise.all([rawInsert, ...passes.map((p) => p.settled)]);
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
        const decoded = withUnmarked(ref.key, await readState(ref));
        return { ref, decoded, assessment: assess(decoded.state, policy, t, reliability) };
      }));
      const locallyConvicted: IndicatorRef[] = [];
      const changes = await writeRecords(items, source, policy, locallyConvicted);
      if (locallyConvicted.length > 0) {
        const at = now();
        await redis.zadd(pendingPropagationKey(prefix), ...locallyConvicted.flatMap((r) => [at, JSON.stringify({ kind: r.kind, value: r.value, digest: r.digest, key: r.key })]));
      }
      const held = hold(changes, source);
      try {
        await correlator.insertVerdictLog(changes);
        await held.mark();
      } finally {
        held.release();
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
      await insertRows('verdict_log', logRows(changes, deps.policy()));
    },
  };
  return correlator;
}
