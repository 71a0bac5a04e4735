import { AGGREGATE_EVENTS, type ClickHouseClient } from '@repute/analytics';
import { recordKey, type IndicatorKind } from '@repute/core';
import type { RedisClient } from '@repute/store';
import type { Correlator, IndicatorRef, VerdictChange } from '../correlator.ts';
import type { Policy } from '../policy/load-policy.ts';
import { allowListOf, type GraphEvidence } from '../scoring/score.ts';
import { execBySlot, type KeyCommand } from '../state/slot-pipeline.ts';
import { GRAPH_PREFIX, pendingPropagationKey, stateKeys } from '../state/state-keys.ts';

export interface PropagationDeps {
  redis: RedisClient;
  clickhouse: ClickHouseClient;
  database: string;
  correlator: Correlator;
  policy: () => Policy;
  prefix: string;
}

export interface PropagationResult {
  sources: number;
  raised: number;
  lowered: number;
  changes: VerdictChange[];
}

interface Edge {
  src_kind: string;
  src_digest: string;
  rel: string;
  direction: 'out' | 'in';
  dst_kind: IndicatorKind;
  dst_digest: string;
  dst_value: string;
  degree: string;
  sensors: string;
}

const raisedKey = (prefix: string, key: string) => `${prefix}corr:{${key}}:raised`;

/** Weight of a relation walked in one direction (0: it carries nothing that way). */
export function relationWeight(policy: Policy, rel: string, direction: 'out' | 'in'): number {
  const w = policy.doc.propagation.relations[rel];
  if (w === undefined) return 0;
  return typeof w === 'number' ? w : (w[direction] ?? 0);
}

/** `rel:direction` of every relation that carries evidence, for the edge query. */
function carriers(policy: Policy): string[] {
  const out: string[] = [];
  for (const rel of Object.keys(policy.doc.propagation.relations)) {
    for (const d of ['out', 'in'] as const) if (relationWeight(policy, rel, d) > 0) out.push(`${rel}:${d}`);
  }
  return out;
}

interface Step {
  ref: IndicatorRef;
  weight: number;
}

/**
 * One propagation round: takes the indicators whose verdict changed since the last round, walks
 * their relations in ClickHouse breadth-first and records on each reached neighbour a graph
 * evidence item naming the neighbour it came through, weighted by the relation in the direction
 * walked and attenuated per hop. The walk is bounded the ways reference/correlation.md §6 and §9
 * ask: relations carry evidence only in the directions the policy gives them (a process passes
 * suspicion to the children it started, never to its parent and through it to its siblings);
 * a node with more than `hubDegree` relations passes nothing on; an intermediate node passes
 * nothing on when it is allow-listed or assessed clean, widespread or signed, and otherwise
 * splits what it passes among its other neighbours (degree normalisation, as in linearised
 * belief propagation); allow-listed nodes receive nothing. A source that no longer propagates
 * (cleared, or allow-listed) withdraws everything it raised. Touched neighbours are re-scored;
 * only their moves into or out of `malicious` become sources of a later round (the walk already
 * covered the allowed depth for weaker evidence).
 */
export async function propagateOnce(deps: PropagationDeps, limit = 200): Promise<PropagationResult> {
  const { redis, clickhouse, database, correlator, prefix } = deps;
  const policy = deps.policy();
  const p = policy.doc.propagation;
  const relationRule = policy.doc.rules['relation'];
  const popped = (await redis.zpopmin(pendingPropagationKey(prefix), limit)) as string[];
  const sources: IndicatorRef[] = [];
  for (let i = 0; i < popped.length; i += 2) sources.push(JSON.parse(popped[i]!) as IndicatorRef);
  const result: PropagationResult = { sources: sources.length, raised: 0, lowered: 0, changes: [] };
  if (sources.length === 0 || relationRule === undefined) return result;
  const relations = carriers(policy);

  // Every source walks its own breadth-first tree, but each hop asks ClickHouse once for the
  // frontier of all sources together: a round costs maxDepth queries, not sources × maxDepth.
  const inspected = await Promise.all(sources.map((source) => correlator.inspect(source)));
  const walks = sources.map((source, i) => {
    const { assessment } = inspected[i]!;
    const strength = assessment.propagates && assessment.verdict === 'malicious' ? 1 : assessment.propagates && assessment.verdict === 'suspicious' ? 0.5 : 0;
    return {
      source,
      convicted: strength === 1,
      frontier: strength > 0 ? [{ ref: source, weight: relationRule.weight * strength }] as Step[] : [],
      visited: new Set([source.key]),
      contributions: new Map<string, { ref: IndicatorRef; evidence: GraphEvidence }>(),
    };
  });
  // Whether an intermediate node may relay, and whether it is itself convicted, by record key.
  const relays = new Map<string, { relays: boolean; vouches: boolean }>();
  for (let hop = 1; hop <= p.maxDepth && relations.length > 0; hop++) {
    const frontier = new Map<string, IndicatorRef>();
    for (const w of walks) for (const f of w.frontier) frontier.set(f.ref.key, f.ref);
    if (frontier.size === 0) break;
    if (hop > 1) {
      const unknown = [...frontier.values()].filter((r) => !relays.has(r.key));
      const assessed = await Promise.all(unknown.map((r) => correlator.inspect(r)));
      unknown.forEach((r, i) => {
        const a = assessed[i]!.assessment;
        relays.set(r.key, { relays: a.relays, vouches: a.relays && a.verdict === 'malicious' });
      });
      for (const key of [...frontier.keys()]) if (relays.get(key)?.relays !== true) frontier.delete(key);
      if (frontier.size === 0) break;
    }
    const edges = await neighbours(clickhouse, database, [...frontier.values()], relations, p.maxFanout);
    const bySource = new Map<string, Edge[]>();
    for (const e of edges) {
      const id = `${e.src_kind}:${e.src_digest}`;
      const list = bySource.get(id);
      if (list === undefined) bySource.set(id, [e]);
      else list.push(e);
    }
    for (const w of walks) {
      const next: Step[] = [];
      for (const from of w.frontier) {
        if (!frontier.has(from.ref.key)) continue;
        const own = bySource.get(`${from.ref.kind}:${from.ref.digest}`) ?? [];
        if (own.length === 0) continue;
        const degree = Number(own[0]!.degree);
        // A hub (an indicator related to very many others) passes nothing on.
        if (degree > p.hubDegree) continue;
        // What a relay passes on is split among its neighbours other than the one it came
        // from; the source itself speaks for itself at full weight.
        const share = hop === 1 ? 1 : p.attenuation / Math.max(1, degree - 1);
        for (const e of own) {
          const relWeight = relationWeight(policy, e.rel, e.direction);
          if (relWeight === 0) continue;
          const ref: IndicatorRef = { kind: e.dst_kind, value: e.dst_value, digest: e.dst_digest, key: recordKey(e.dst_kind, e.dst_digest) };
          if (w.visited.has(ref.key) || allowListOf(policy, ref.kind, ref.value) !== undefined) continue;
          w.visited.add(ref.key);
          const weight = Math.round(from.weight * relWeight * share * 100) / 100;
          if (weight <= 0) continue;
          w.contributions.set(ref.key, {
            ref,
            evidence: {
              from: { kind: from.ref.kind, value: from.ref.value, key: from.ref.key }, source: w.source.key, rel: e.rel, hops: hop, weight,
              ...(hop > 1 && relays.get(from.ref.key)?.vouches === true ? { vouched: true } : {}),
              ...(hop === 1 && w.convicted ? { convictedSensors: Number(e.sensors) } : {}),
              sensors: Number(e.sensors),
            },
          });
          next.push({ ref, weight });
        }
      }
      w.frontier = next;
    }
  }

  // How widely each reached indicator had been seen, as the evidence is recorded (see `bystanderScale`).
  const reached = [...new Set(walks.flatMap((w) => [...w.contributions.keys()]))];
  const counts = await execBySlot(redis, reached.map((key): KeyCommand => ['hget', stateKeys(prefix, key).state, 'cs']));
  const population = new Map(reached.map((key, i) => [key, Number(counts[i] ?? 0)]));
  for (const w of walks) for (const c of w.contributions.values()) c.evidence.targetSensors = population.get(c.ref.key)!;

  // Withdraw what each source raised before and no longer reaches (or everything, when cleared).
  // Each source's and each neighbour's keys sit in slots of their own: on a cluster the commands
  // go per slot.
  const before = await execBySlot(redis, walks.map((w): KeyCommand => ['smembers', raisedKey(prefix, w.source.key)]));
  const touched = new Map<string, IndicatorRef>();
  const writes: KeyCommand[] = [];
  walks.forEach((w, i) => {
    for (const old of ((before[i] ?? []) as string[]).map((m) => JSON.parse(m) as IndicatorRef)) {
      if (w.contributions.has(old.key)) continue;
      writes.push(['hdel', stateKeys(prefix, old.key).state, `${GRAPH_PREFIX}${w.source.key}`]);
      writes.push(['srem', raisedKey(prefix, w.source.key), JSON.stringify(old)]);
      touched.set(old.key, old);
      result.lowered += 1;
    }
    for (const { ref, evidence } of w.contributions.values()) {
      writes.push(['hset', stateKeys(prefix, ref.key).state, `${GRAPH_PREFIX}${w.source.key}`, JSON.stringify(evidence)]);
      writes.push(['sadd', raisedKey(prefix, w.source.key), JSON.stringify(ref)]);
      touched.set(ref.key, ref);
      result.raised += 1;
    }
  });
  await execBySlot(redis, writes);
  result.changes = await correlator.rescore([...touched.values()], 'propagation');
  return result;
}

async function neighbours(clickhouse: ClickHouseClient, database: string, refs: IndicatorRef[], relations: string[], fanout: number): Promise<Edge[]> {
  // The degree counts only the relations that carry evidence: those a node would pass it over.
  const rs = await clickhouse.query({
    query: `SELECT src_kind, src_digest, rel, direction, dst_kind, dst_digest, any(dst_value) AS dst_value, ${AGGREGATE_EVENTS} AS events, uniqMerge(sensors) AS sensors,
              count() OVER (PARTITION BY src_kind, src_digest) AS degree
            FROM ${database}.relations
            WHERE src_digest IN {digests:Array(String)} AND src_kind IN {kinds:Array(String)}
              AND concat(rel, ':', direction) IN {relations:Array(String)}
            GROUP BY src_kind, src_digest, rel, direction, dst_kind, dst_digest
            ORDER BY src_kind, src_digest, events DESC
            LIMIT {fanout:UInt32} BY src_kind, src_digest`,
    query_params: { digests: refs.map((r) => r.digest), kinds: [...new Set(refs.map((r) => r.kind))], relations, fanout },
    format: 'JSONEachRow',
  });
  return rs.json<Edge>();
}
