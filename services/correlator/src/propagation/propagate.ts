import type { ClickHouseClient } from '@repute/analytics';
import { recordKey, type IndicatorKind } from '@repute/core';
import type { RedisClient } from '@repute/store';
import type { Correlator, IndicatorRef, VerdictChange } from '../correlator.ts';
import type { Policy } from '../policy/load-policy.ts';
import { allowListOf, type GraphEvidence } from '../scoring/score.ts';
import { pendingPropagationKey, stateKeys } from '../state/state-keys.ts';

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
  dst_kind: IndicatorKind;
  dst_digest: string;
  dst_value: string;
  degree: string;
}

const raisedKey = (prefix: string, key: string) => `${prefix}corr:{${key}}:raised`;

/**
 * One propagation round: takes the indicators whose verdict changed since the last round, walks
 * their relations in ClickHouse breadth-first (bounded depth, fan-out per node, hubs skipped,
 * allow-listed nodes neither pass nor receive), and records on each reached neighbour a graph
 * evidence item naming the neighbour it came through, weighted by the relation and attenuated
 * per hop. A source that no longer propagates (cleared, or allow-listed) withdraws everything it
 * raised. Touched neighbours are re-scored; their own changes do not cascade further (the walk
 * already covered the allowed depth).
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

  // Every source walks its own breadth-first tree, but each hop asks ClickHouse once for the
  // frontier of all sources together: a round costs maxDepth queries, not sources × maxDepth.
  const inspected = await Promise.all(sources.map((source) => correlator.inspect(source)));
  const walks = sources.map((source, i) => {
    const { assessment } = inspected[i]!;
    const strength = assessment.propagates && assessment.verdict === 'malicious' ? 1 : assessment.propagates && assessment.verdict === 'suspicious' ? 0.5 : 0;
    return {
      source,
      frontier: strength > 0 ? [{ ref: source, weight: relationRule.weight * strength }] : [],
      visited: new Set([source.key]),
      contributions: new Map<string, { ref: IndicatorRef; evidence: GraphEvidence }>(),
    };
  });
  for (let hop = 1; hop <= p.maxDepth; hop++) {
    const frontier = new Map<string, IndicatorRef>();
    for (const w of walks) for (const f of w.frontier) frontier.set(f.ref.key, f.ref);
    if (frontier.size === 0) break;
    const edges = await neighbours(clickhouse, database, [...frontier.values()], p.maxFanout);
    const bySource = new Map<string, Edge[]>();
    for (const e of edges) {
      const id = `${e.src_kind}:${e.src_digest}`;
      const list = bySource.get(id);
      if (list === undefined) bySource.set(id, [e]);
      else list.push(e);
    }
    for (const w of walks) {
      const next: { ref: IndicatorRef; weight: number }[] = [];
      for (const from of w.frontier) {
        const own = bySource.get(`${from.ref.kind}:${from.ref.digest}`) ?? [];
        // A hub (an indicator related to very many others) passes nothing on.
        if (own.length > 0 && Number(own[0]!.degree) > p.hubDegree) continue;
        for (const e of own) {
          const relWeight = p.relations[e.rel] ?? 0;
          if (relWeight === 0) continue;
          const ref: IndicatorRef = { kind: e.dst_kind, value: e.dst_value, digest: e.dst_digest, key: recordKey(e.dst_kind, e.dst_digest) };
          if (w.visited.has(ref.key) || allowListOf(policy, ref.kind, ref.value) !== undefined) continue;
          w.visited.add(ref.key);
          const weight = Math.round(from.weight * relWeight * (hop === 1 ? 1 : p.attenuation) * 100) / 100;
          w.contributions.set(ref.key, { ref, evidence: { from: { kind: from.ref.kind, value: from.ref.value, key: w.source.key }, rel: e.rel, hops: hop, weight } });
          next.push({ ref, weight });
        }
      }
      w.frontier = next;
    }
  }

  // Withdraw what each source raised before and no longer reaches (or everything, when cleared).
  const raisedBefore = redis.pipeline();
  for (const w of walks) raisedBefore.smembers(raisedKey(prefix, w.source.key));
  const before = (await raisedBefore.exec()) ?? [];
  const touched = new Map<string, IndicatorRef>();
  const pipeline = redis.pipeline();
  walks.forEach((w, i) => {
    const [err, members] = before[i] ?? [null, []];
    if (err) throw err;
    for (const old of (members as string[]).map((m) => JSON.parse(m) as IndicatorRef)) {
      if (w.contributions.has(old.key)) continue;
      pipeline.hdel(stateKeys(prefix, old.key).graph, w.source.key);
      pipeline.srem(raisedKey(prefix, w.source.key), JSON.stringify(old));
      touched.set(old.key, old);
      result.lowered += 1;
    }
    for (const { ref, evidence } of w.contributions.values()) {
      pipeline.hset(stateKeys(prefix, ref.key).graph, w.source.key, JSON.stringify(evidence));
      pipeline.sadd(raisedKey(prefix, w.source.key), JSON.stringify(ref));
      touched.set(ref.key, ref);
      result.raised += 1;
    }
  });
  await pipeline.exec();
  result.changes = await correlator.rescore([...touched.values()], 'propagation');
  return result;
}

async function neighbours(clickhouse: ClickHouseClient, database: string, refs: IndicatorRef[], fanout: number): Promise<Edge[]> {
  const rs = await clickhouse.query({
    query: `SELECT src_kind, src_digest, rel, dst_kind, dst_digest, any(dst_value) AS dst_value, sum(events) AS events,
              count() OVER (PARTITION BY src_kind, src_digest) AS degree
            FROM ${database}.relations
            WHERE src_digest IN {digests:Array(String)} AND src_kind IN {kinds:Array(String)}
            GROUP BY src_kind, src_digest, rel, dst_kind, dst_digest
            ORDER BY src_kind, src_digest, events DESC
            LIMIT {fanout:UInt32} BY src_kind, src_digest`,
    query_params: { digests: refs.map((r) => r.digest), kinds: [...new Set(refs.map((r) => r.kind))], fanout },
    format: 'JSONEachRow',
  });
  return rs.json<Edge>();
}
