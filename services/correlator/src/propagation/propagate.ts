import { AGGREGATE_EVENTS, type ClickHouseClient } from '@repute/analytics';
import { digestAndKey, recordKey, registrableDomain, type IndicatorKind } from '@repute/core';
import type { RedisClient } from '@repute/store';
import {
  accusedOnItsOwn, allowListOf, execBySlot, GRAPH_PREFIX, pendingPropagationKey, stateKeys, TRUSTED,
  viewFromEvidence, type Assessment, type GraphEvidence, type IndicatorRef, type KeyCommand, type Policy,
} from '@repute/verdicts';
import type { Correlator, VerdictChange } from '../correlator.ts';
import { hostOf, pageOf } from '../events/observations.ts';
import { judgeAddress, readAddressNames } from './address-names.ts';
import { markSiteListings } from './site-listings.ts';

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

/** The `kind:digest` of the node a row of a walk's query starts from. */
const sourceOf = (row: { src_kind: string; src_digest: string }): string => `${row.src_kind}:${row.src_digest}`;
const raisedKey = (prefix: string, key: string) => `${prefix}corr:{${key}}:raised`;
/** Origins an evidence item remembers at most (the walk's own path is at most maxDepth long). */
const MAX_ORIGINS = 32;
const DAY = 86_400_000;

/** Weight of a relation walked in one direction (0: it carries nothing that way). */
export function relationWeight(policy: Policy, rel: string, direction: 'out' | 'in'): number {
  const w = policy.doc.propagation.relations[rel];
  if (w === undefined) return 0;
  return typeof w === 'number' ? w : (w[direction] ?? 0);
}

/**
 * How strongly an assessed indicator accuses its neighbours: fully when convicted (in the global
 * view or in the one tenant's view whose evidence it is: then it accuses in that tenant's name,
 * so what it convicts is convicted in that tenant's view and stays suspicious for everyone
 * else), `suspiciousStrength` when suspicious, not at all otherwise or when allow-listed.
 */
function strengthOf(assessment: Assessment, suspiciousStrength: number): number {
  if (!assessment.propagates) return 0;
  const locally = Object.values(assessment.views ?? {}).some((v) => v.verdict === 'malicious' && viewFromEvidence(v));
  const verdict = locally ? 'malicious' : assessment.verdict;
  return verdict === 'malicious' ? 1 : verdict === 'suspicious' ? suspiciousStrength : 0;
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
  /** Record keys the walk passed to get here, the source first. */
  path: string[];
}

interface Walk {
  source: IndicatorRef;
  /** How strongly the source accuses (see strengthOf): 1 convicted, 0 no longer accusing (it withdraws all it raised). */
  strength: number;
  frontier: Step[];
  visited: Set<string>;
  /** The nodes its accusation rests on: never walked back into. */
  ancestry: string[];
  tenants: string[];
  contributions: Map<string, { ref: IndicatorRef; evidence: GraphEvidence }>;
}

/**
 * One propagation round: takes the indicators whose verdict changed since the last round, walks
 * their relations in ClickHouse breadth-first and records on each reached neighbour a graph
 * evidence item naming the neighbour it came through, weighted by the relation in the direction
 * walked and attenuated per hop. The walk is bounded the ways reference/correlation.md §6 and §9
 * ask:
 * - relations carry evidence only in the directions the policy gives them (a process passes
 *   suspicion to the children it started, never to its parent and through it to its siblings);
 * - a node with more than `hubDegree` relations passes nothing on; an intermediate node passes
 *   nothing on when it is allow-listed or assessed clean, widespread or signed, and otherwise
 *   splits what it passes among its other neighbours (degree normalisation, as in linearised
 *   belief propagation);
 * - non-backtracking: a walk never records evidence on the nodes its source's own graph
 *   evidence came from, so suspicion never echoes back (a file flagged by one noisy engine
 *   accusing the resolver it queried, the resolver accusing the file);
 * - allow-listed and infrastructure nodes receive nothing, and neither do the addresses that
 *   allow-listed domains resolve to (a CDN or IP-echo service behind a listed name);
 * - a URL's host (domain or IP) receives evidence over `hosted_on` only when it is dedicated to
 *   such URLs (young, most of its URLs accused): one bad path on a compromised site convicts
 *   the URL, never the site and everything else it serves; so does a sender over `sent_by`
 *   (a site's newsletter sender is not convicted by the site's listed pages).
 * A source that no longer propagates (cleared, or allow-listed) withdraws everything it raised.
 * Touched neighbours are re-scored; only their moves into or out of `malicious` become sources
 * of a later round (the walk already covered the allowed depth for weaker evidence).
 */
export async function propagateOnce(deps: PropagationDeps, limit = 200): Promise<PropagationResult> {
  const { redis, clickhouse, database, correlator, prefix } = deps;
  const policy = deps.policy();
  const p = policy.doc.propagation;
  const relationRule = policy.doc.rules['relation'];
  const popped = (await redis.zpopmin(pendingPropagationKey(prefix), limit)) as string[];
  const sources: IndicatorRef[] = [];
  const early: (string | number)[] = [];
  const now = Date.now();
  for (let i = 0; i < popped.length; i += 2) {
    // Lowest scores first: once one is not due yet, none after it is.
    if (Number(popped[i + 1]) > now) early.push(Number(popped[i + 1]), popped[i]!);
    else sources.push(JSON.parse(popped[i]!) as IndicatorRef);
  }
  if (early.length > 0) await redis.zadd(pendingPropagationKey(prefix), 'LT', ...early);
  const result: PropagationResult = { sources: sources.length, raised: 0, lowered: 0, changes: [] };
  if (sources.length === 0 || relationRule === undefined) return result;
  const relations = carriers(policy);

  // Every source walks its own breadth-first tree, but each hop asks ClickHouse once for the
  // frontier of all sources together: a round costs maxDepth queries, not sources × maxDepth.
  let inspected = await Promise.all(sources.map((source) => correlator.inspect(source)));
  // Web filters that list a source's whole site weigh less on its pages: those pages are
  // re-scored first, and a source among them walks with what it is now.
  const listed = await markSiteListings({
    redis, prefix,
    read: async (ref) => (await correlator.inspect(ref)).decoded,
    pagesOn: (hosts) => neighbours(clickhouse, database, hosts, ['hosted_on:in'], p.maxFanout),
  }, sources.map((ref, i) => ({ ref, decoded: inspected[i]!.decoded })));
  if (listed.length > 0) {
    result.changes.push(...await correlator.rescore(listed, 'propagation'));
    const again = new Set(listed.map((r) => r.key));
    inspected = await Promise.all(sources.map((source, i) => (again.has(source.key) ? correlator.inspect(source) : inspected[i]!)));
  }
  const walks: Walk[] = sources.map((source, i) => {
    const { assessment, decoded } = inspected[i]!;
    const strength = strengthOf(assessment, p.suspiciousStrength);
    // Non-backtracking as in belief propagation: what a source tells a neighbour leaves out what
    // that neighbour told it. A node its own graph evidence came through is skipped only when
    // the source, without that evidence, would accuse less: a URL convicted by its own
    // detections still accuses the domain that also passed it a little suspicion.
    const origins = new Map<string, GraphEvidence[]>();
    for (const g of decoded.state.graph) {
      for (const key of new Set([g.from.key, ...(g.source !== undefined ? [g.source] : []), ...(g.origins ?? [])])) {
        if (key === source.key) continue;
        const list = origins.get(key);
        if (list === undefined) origins.set(key, [g]);
        else list.push(g);
      }
    }
    const ancestry: string[] = [];
    for (const [key, through] of origins) {
      if (strength === 0) break;
      const without = decoded.state.graph.filter((g) => !through.includes(g));
      if (strengthOf(correlator.assessState({ ...decoded.state, graph: without }), p.suspiciousStrength) < strength) ancestry.push(key);
    }
    return {
      source,
      strength,
      frontier: strength > 0 ? [{ ref: source, weight: relationRule.weight * strength, path: [source.key] }] : [],
      visited: new Set([source.key, ...ancestry]),
      ancestry,
      // Whose evidence its accusation is. A source no tenant's evidence raised (rarity alone)
      // names none, and what it passes on convicts nobody: it is never taken for a trusted
      // source's, which names `*` itself.
      tenants: assessment.tenants,
      contributions: new Map(),
    };
  });
  addPathPrefixes(policy, relationRule.weight, walks, inspected.map((x) => x.decoded.state.sensors));

  // Whether an intermediate node may relay, by record key.
  const relays = new Map<string, boolean>();
  for (let hop = 1; hop <= p.maxDepth && relations.length > 0; hop++) {
    const frontier = new Map<string, IndicatorRef>();
    for (const w of walks) for (const f of w.frontier) frontier.set(f.ref.key, f.ref);
    if (frontier.size === 0) break;
    if (hop > 1) {
      const unknown = [...frontier.values()].filter((r) => !relays.has(r.key));
      const assessed = await Promise.all(unknown.map((r) => correlator.inspect(r)));
      unknown.forEach((r, i) => { relays.set(r.key, assessed[i]!.assessment.relays); });
      for (const key of [...frontier.keys()]) if (relays.get(key) !== true) frontier.delete(key);
      if (frontier.size === 0) break;
    }
    const edges = await neighbours(clickhouse, database, [...frontier.values()], relations, p.maxFanout);
    const bySource = Map.groupBy(edges, sourceOf);
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
          // A page of a top site takes no word from the company it keeps (a lure's decoy link to
          // the brand's real sign-in page); only a file it served convicts it.
          if (ref.kind === 'url' && e.rel !== 'downloaded_from' && onListedSite(policy, ref.value)) continue;
          w.visited.add(ref.key);
          const weight = Math.round(from.weight * relWeight * share * 100) / 100;
          if (weight <= 0) continue;
          const path = [...from.path, ref.key];
          w.contributions.set(ref.key, {
            ref,
            evidence: {
              from: { kind: from.ref.kind, value: from.ref.value, key: from.ref.key }, source: w.source.key, rel: e.rel, hops: hop, weight,
              origins: [...w.ancestry, ...from.path].slice(-MAX_ORIGINS),
              tenants: w.tenants,
              ...(hop === 1 && w.strength === 1 ? { convictedSensors: Number(e.sensors) } : {}),
              sensors: Number(e.sensors),
              // A host, and a sender, take evidence from what they serve only when dedicated to it.
              ...((e.rel === 'hosted_on' || e.rel === 'sent_by') && e.direction === 'out' ? { dedicated: false } : {}),
            },
          });
          next.push({ ref, weight, path });
        }
      }
      w.frontier = next;
    }
    await screenHosts(deps, policy, walks, hop);
  }
  // After the relations: a node a relation reaches takes the relation's evidence (a sender's
  // link is sent_by, provenance a rule can read), machines in common add the nodes no relation
  // reached. The sites among them are screened as the relations' were.
  if (await addCoHosted(deps, policy, relationRule.weight, walks)) await screenHosts(deps, policy, walks, 1, (e) => e.rel === 'co_hosted', false);

  // Withdraw what each source raised before and no longer reaches (or everything, when cleared).
  // Each source's and each neighbour's keys sit in slots of their own: on a cluster the commands
  // go per slot.
  const before = await execBySlot(redis, walks.map((w): KeyCommand => ['smembers', raisedKey(prefix, w.source.key)]));
  const touched = new Map<string, IndicatorRef>();
  const writes: KeyCommand[] = [];
  walks.forEach((w, i) => {
    for (const old of ((before[i] ?? []) as string[]).map((m) => JSON.parse(m) as IndicatorRef)) {
      if (w.contributions.has(old.key)) continue;
      // A node the walk skips only because its evidence came through it keeps what it had: it
      // gets nothing new from here (no echo), and withdrawing would let two nodes that raised
      // each other before take turns dropping and raising each other, round after round.
      if (w.strength > 0 && w.ancestry.includes(old.key)) continue;
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
  result.changes.push(...await correlator.rescore([...touched.values()], 'propagation'));
  return result;
}

/**
 * The directory a URL sits in, as a URL (`https://site/a/b/` for `https://site/a/b/c.php?x`), or
 * undefined when that is less than two levels deep: the root is the host, which only hosted_on
 * and the dedicated-host rule may accuse, and a directory right under it is a whole section of
 * a site (`/news/`) or where a shared host keeps every user's content (`pastebin.com/raw/`).
 */
export function pathPrefixOf(url: string): string | undefined {
  const start = url.indexOf('://');
  if (start < 0) return undefined;
  const pathStart = url.indexOf('/', start + 3);
  if (pathStart < 0) return undefined;
  const end = url.search(/[?#]/);
  const path = url.slice(pathStart, end < 0 ? undefined : end);
  // A URL ending in a slash is a directory page already: its prefix is its parent.
  const cut = path.endsWith('/') ? path.lastIndexOf('/', path.length - 2) : path.lastIndexOf('/');
  if (cut <= 0) return undefined;
  const directory = path.slice(0, cut + 1);
  if (directory.split('/').length - 2 < 2) return undefined;
  return url.slice(0, pathStart + cut + 1);
}

/**
 * A URL accusing its directory (Safe Browsing's path prefix): what a lookup of any other URL
 * under it answers through the prefix's record. One convicted URL on an established site
 * convicts the URL and its path prefix, never the site. Only URLs that were seen themselves
 * pass it on (a prefix convicted this way accuses no parent of its own), and never to the root.
 */
function addPathPrefixes(policy: Policy, ruleWeight: number, walks: Walk[], sensors: readonly number[]): void {
  const weight = relationWeight(policy, 'path_prefix', 'out');
  if (weight === 0) return;
  walks.forEach((w, i) => {
    if (w.source.kind !== 'url' || w.strength === 0 || (sensors[i] ?? 0) === 0) return;
    const prefix = pathPrefixOf(w.source.value);
    if (prefix === undefined || allowListOf(policy, 'url', prefix) !== undefined) return;
    // A listed host (a paste or file-sharing service, a shortener, a top site) keeps its users'
    // content side by side: one bad paste says nothing of the next one's directory.
    const host = hostOf(prefix);
    if (host === undefined || allowListOf(policy, host.kind, host.value) !== undefined) return;
    const { digest, key } = digestAndKey('url', prefix);
    if (w.visited.has(key)) return;
    w.visited.add(key);
    w.contributions.set(key, {
      ref: { kind: 'url', value: prefix, digest, key },
      evidence: {
        from: { kind: 'url', value: w.source.value, key: w.source.key }, source: w.source.key, rel: 'path_prefix', hops: 1,
        weight: Math.round(w.strength * ruleWeight * weight * 100) / 100,
        origins: [...w.ancestry, w.source.key].slice(-MAX_ORIGINS),
        tenants: w.tenants,
        // Hard evidence: a convicted page's own directory is where its kit lives.
        ...(w.strength === 1 ? { dedicated: true, convictedSensors: sensors[i] ?? 0 } : {}),
      },
    });
  });
}

const CO_HOSTED_KINDS: readonly IndicatorKind[] = ['file', 'url', 'domain', 'ip', 'email'];
// An address is shared (hosting, a CDN, NAT) far more often than a name: the victims of a
// compromised site all reach its hosting provider's address, which serves other sites too. A
// sender reaches the same machines as whatever else mails them that day (a newsletter beside a
// lure), and accuses every page it carried: a site a web filter listed whole would look like
// the sender's dedicated site, and all its pages would follow. A page is reached through its
// site instead: the victims also open the compromised site's home page, or the legitimate page
// a lure links to, and only a site dedicated to accused pages answers for all of its pages.
const CO_HOSTED_TARGETS: readonly IndicatorKind[] = ['file', 'domain'];
/** Machines per candidate read at most (enough to count tenants; the count itself is exact). */
const CO_HOSTED_MACHINES = 1000;

/** Whether a URL's host is on an allow list that vouches for the site (a top site), not only caps it. */
function onListedSite(policy: Policy, url: string): boolean {
  const host = hostOf(url);
  const allow = host === undefined ? undefined : allowListOf(policy, host.kind, host.value);
  return allow !== undefined && (allow.cap === 'unknown' || allow.cap === 'clean');
}

/** The registrable domain (or address) an indicator belongs to, when it belongs to a site. */
function siteOf(ref: IndicatorRef): string | undefined {
  let host: string | undefined;
  if (ref.kind === 'url') host = hostOf(ref.value)?.value;
  else if (ref.kind === 'domain') host = ref.value;
  else if (ref.kind === 'email') host = ref.value.slice(ref.value.lastIndexOf('@') + 1);
  if (host === undefined || host === '') return undefined;
  return registrableDomain(host) ?? host;
}

interface CoHostedRow {
  src_kind: string;
  src_digest: string;
  dst_kind: IndicatorKind;
  dst_digest: string;
  dst_value: string;
  machines: [string, string][];
}

/**
 * Machines as a relation (see `propagation.coHosted`): each convicted source accuses what first
 * appeared on its machines around the time it did, on enough machines of enough tenants, and on
 * few machines besides. In a tenant's view only (a source convicted on one tenant's evidence),
 * only that tenant's machines count. The evidence names the tenants whose machines showed it,
 * so one tenant's machines convict in its own view alone. One hop: what it reaches relays
 * nothing further this round (its own conviction, if it comes, makes it a source of its own).
 */
async function addCoHosted(deps: PropagationDeps, policy: Policy, ruleWeight: number, walks: Walk[]): Promise<boolean> {
  const c = policy.doc.propagation.coHosted;
  if (c === undefined || c.weight === 0) return false;
  const sources = walks.filter((w) => w.strength === 1 && CO_HOSTED_KINDS.includes(w.source.kind));
  if (sources.length === 0) return false;
  const db = deps.database;
  const digests = sources.map((w) => w.source.digest);
  const kinds = [...new Set(sources.map((w) => w.source.kind))];
  // Per source machine, when the source first appeared there; per candidate, its machines
  // whose first sighting of it falls within the window of the source's there.
  const rs = await deps.clickhouse.query({
    query: `SELECT s.src_kind AS src_kind, s.src_digest AS src_digest, h.kind AS dst_kind, h.digest AS dst_digest, any(h.value) AS dst_value,
              groupUniqArray({machines:UInt32})((h.tenant, h.host)) AS machines
            FROM (
              SELECT kind AS src_kind, digest AS src_digest, tenant, host, min(time) AS t0 FROM ${db}.telemetry_raw
              WHERE digest IN {digests:Array(String)} AND kind IN {kinds:Array(String)} AND host != ''
              GROUP BY src_kind, src_digest, tenant, host
            ) AS s
            GLOBAL INNER JOIN (
              SELECT tenant, host, kind, digest, any(value) AS value, min(first_seen) AS first FROM ${db}.host_indicators
              WHERE (tenant, host) GLOBAL IN (
                SELECT tenant, host FROM ${db}.telemetry_raw
                WHERE digest IN {digests:Array(String)} AND kind IN {kinds:Array(String)} AND host != '')
                AND kind IN {targets:Array(String)}
              GROUP BY tenant, host, kind, digest
            ) AS h ON h.tenant = s.tenant AND h.host = s.host
            WHERE abs(toUnixTimestamp64Milli(h.first) - toUnixTimestamp64Milli(s.t0)) <= {windowMs:UInt64}
              AND NOT (h.kind = s.src_kind AND h.digest = s.src_digest)
            GROUP BY src_kind, src_digest, dst_kind, dst_digest
            HAVING uniqExact(h.tenant, h.host) >= {minHosts:UInt32}`,
    query_params: { digests, kinds, targets: CO_HOSTED_TARGETS, windowMs: Math.round(c.windowHours * 3_600_000), minHosts: c.minHosts, machines: CO_HOSTED_MACHINES },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<CoHostedRow>();
  if (rows.length === 0) return false;
  // How many machines saw each candidate at all: co-occurrence counts only when it explains
  // most of them (a popular site the victims also browsed is seen everywhere).
  const totals = await deps.clickhouse.query({
    query: `SELECT kind, digest, uniqMerge(hosts) AS hosts FROM ${db}.indicator_hourly
            WHERE digest IN {digests:Array(String)} GROUP BY kind, digest`,
    query_params: { digests: [...new Set(rows.map((r) => r.dst_digest))] },
    format: 'JSONEachRow',
  });
  const hostsOf = new Map((await totals.json<{ kind: string; digest: string; hosts: string | number }>()).map((r) => [`${r.kind}:${r.digest}`, Number(r.hosts)]));
  const bySource = Map.groupBy(rows, sourceOf);
  const weight = Math.round(ruleWeight * c.weight * 100) / 100;
  let added = false;
  for (const w of sources) {
    // A source convicted in one tenant's view speaks through that tenant's machines alone.
    const local = w.tenants.length === 1 && w.tenants[0] !== TRUSTED ? w.tenants[0] : undefined;
    for (const r of bySource.get(`${w.source.kind}:${w.source.digest}`) ?? []) {
      const machines = local === undefined ? r.machines : r.machines.filter(([t]) => t === local);
      const tenants = [...new Set(machines.map(([t]) => t))].sort();
      if (machines.length < c.minHosts || tenants.length < c.minTenants) continue;
      const total = Math.max(hostsOf.get(`${r.dst_kind}:${r.dst_digest}`) ?? 0, machines.length);
      if (machines.length / total < c.minShare) continue;
      const ref: IndicatorRef = { kind: r.dst_kind, value: r.dst_value, digest: r.dst_digest, key: recordKey(r.dst_kind, r.dst_digest) };
      // A relation's own evidence stands; a weaker one from further away gives way.
      const reached = w.contributions.get(ref.key);
      if (reached !== undefined ? reached.evidence.hops === 1 || reached.evidence.weight >= weight : w.visited.has(ref.key)) continue;
      if (allowListOf(policy, ref.kind, ref.value) !== undefined) continue;
      // A site's pages are read together: a page a filter listed would accuse its own site.
      // Within a site, the dedicated-host rule and path prefixes decide.
      const same = siteOf(ref);
      if (same !== undefined && same === siteOf(w.source)) continue;
      w.visited.add(ref.key);
      added = true;
      w.contributions.set(ref.key, {
        ref,
        evidence: {
          from: { kind: w.source.kind, value: w.source.value, key: w.source.key }, source: w.source.key, rel: 'co_hosted', hops: 1, weight,
          origins: [...w.ancestry, w.source.key].slice(-MAX_ORIGINS),
          tenants,
          sensors: machines.length,
          // A site must also be dedicated to what it serves (screenHosts): the victims all
          // opened the compromised site's bad page, and its good pages too.
          ...(ref.kind === 'domain' ? { dedicated: false } : {}),
        },
      });
    }
  }
  return added;
}

/**
 * Drops, from this hop's contributions, the hosts that must not be convicted by association:
 * - a host reached over `hosted_on` from a URL, or a sender reached over `sent_by` from what it
 *   carried, that is not dedicated to such URLs: fewer than `minAccusedShare` of the URLs seen
 *   on it (or carried by it) accused on their own, or first seen more than `maxAgeDays` ago. A
 *   site's newsletter sender carries every page of the site: two pages a web filter listed
 *   make it no phishing sender. A dedicated one keeps the evidence as hard evidence.
 * - an address that an allow-listed domain resolves to (the IPs behind a listed CDN, cloud or
 *   IP-echo service), or that is shared: most of the names resolving to it unaccused, as on a
 *   CDN's edge or a shared web host no list names (address-names.ts).
 * A dropped node is also dropped from the next frontier: it relays nothing either. An address
 * that a convicted name accused, and whose names are mostly accused, is dedicated to them: its
 * evidence is hard (a C2 or phishing server's own address).
 */
async function screenHosts(
  deps: PropagationDeps, policy: Policy, walks: Walk[], hop: number,
  only: (e: GraphEvidence) => boolean = () => true,
  accuserOnHost = true,
): Promise<void> {
  const hosts = new Map<string, IndicatorRef>();
  const addresses = new Map<string, IndicatorRef>();
  for (const w of walks) {
    for (const { ref, evidence } of w.contributions.values()) {
      if (evidence.hops !== hop || !only(evidence)) continue;
      if (evidence.dedicated === false) hosts.set(ref.key, ref);
      if (ref.kind === 'ip') addresses.set(ref.key, ref);
    }
  }
  if (hosts.size === 0 && addresses.size === 0) return;
  const refused = new Set<string>();
  const dedicated = new Set<string>();
  const { dedicatedHost } = policy.doc.propagation;

  if (hosts.size > 0) {
    const refs = [...hosts.values()];
    // The URLs seen on each host, or carried by each sender (walking hosted_on or sent_by
    // backwards; a host sends nothing, a sender hosts nothing), most used first.
    const urls = await neighbours(deps.clickhouse, deps.database, refs, ['hosted_on:in', 'sent_by:in'], policy.doc.propagation.maxFanout);
    const byHost = Map.groupBy(urls, sourceOf);
    // URLs count by the page they open: the hundred per-recipient tokens of one phishing page
    // are one page, accused when the page or any of its tokens is.
    const pageKey = (e: Edge): string => {
      const page = pageOf(e.dst_value);
      return page === undefined ? recordKey(e.dst_kind, e.dst_digest) : digestAndKey('url', page).key;
    };
    const urlKeys = [...new Set(urls.flatMap((e) => [recordKey(e.dst_kind, e.dst_digest), pageKey(e)]))];
    const states = await execBySlot(deps.redis, [
      ...urlKeys.map((key): KeyCommand => ['hmget', stateKeys(deps.prefix, key).state, 'vd', 'rs']),
      ...refs.map((r): KeyCommand => ['hget', stateKeys(deps.prefix, r.key).state, 'fs']),
    ]);
    // A page counts as accused on evidence of its own: pages accused only through a neighbour
    // (a compromised site's newsletter sender, its home page) echo one accusation, and counting
    // them would make every compromised site look dedicated to its one bad URL.
    const accused = new Set(urlKeys.filter((_, i) => {
      const [verdict, signature] = (states[i] as (string | null)[] | null) ?? [];
      return (verdict === 'malicious' || verdict === 'suspicious') && accusedOnItsOwn(signature ?? '');
    }));
    const now = Date.now();
    refs.forEach((ref, i) => {
      const pages = new Map<string, boolean>();
      for (const e of byHost.get(`${ref.kind}:${ref.digest}`) ?? []) {
        const page = pageKey(e);
        pages.set(page, pages.get(page) === true || accused.has(page) || accused.has(recordKey(e.dst_kind, e.dst_digest)));
      }
      const bad = [...pages.values()].filter(Boolean).length;
      const firstSeen = Number(states[urlKeys.length + i] ?? now);
      // Over a relation, the URL that accuses it is accused itself, whether or not its verdict
      // is marked yet; machines in common name no page of the site, so only its own count.
      const share = pages.size === 0 ? 1 : (accuserOnHost ? Math.max(bad, 1) : bad) / pages.size;
      if (share >= dedicatedHost.minAccusedShare && now - firstSeen <= dedicatedHost.maxAgeDays * DAY) dedicated.add(ref.key);
      else refused.add(ref.key);
    });
  }

  const names = await readAddressNames({
    redis: deps.redis, prefix: deps.prefix,
    namesOf: (refs) => neighbours(deps.clickhouse, deps.database, refs, ['resolves_to:in'], policy.doc.propagation.maxFanout),
  }, policy, [...addresses.values()]);

  for (const w of walks) {
    const dropped = new Set<string>();
    for (const [key, c] of w.contributions) {
      if (c.evidence.hops !== hop || !only(c.evidence)) continue;
      const address = judgeAddress(names.get(key), { rel: c.evidence.rel, key: c.evidence.from.key }, dedicatedHost.minAccusedShare);
      if (refused.has(key) || address === 'refused') {
        w.contributions.delete(key);
        dropped.add(key);
      } else if ((dedicated.has(key) && c.evidence.rel !== 'co_hosted') || (address === 'dedicated' && c.evidence.convictedSensors !== undefined)) {
        // Dedication makes a host's evidence hard; machines in common stay a neighbour's word.
        c.evidence.dedicated = true;
      } else if (c.evidence.dedicated === false) delete c.evidence.dedicated;
    }
    w.frontier = w.frontier.filter((s) => !dropped.has(s.ref.key));
  }
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
            ORDER BY src_kind, src_digest, events DESC, dst_kind, dst_digest
            LIMIT {fanout:UInt32} BY src_kind, src_digest`,
    query_params: { digests: refs.map((r) => r.digest), kinds: [...new Set(refs.map((r) => r.kind))], relations, fanout },
    format: 'JSONEachRow',
  });
  return rs.json<Edge>();
}
