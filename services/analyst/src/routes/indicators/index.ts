import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { recordForTenant, uncheckedRecordKey, type ReputationRecord } from '@repute/core';
import { resolveIndicator } from '../../indicators/resolve-indicator.ts';
import { crossTenant, publishable } from '../../privacy/k-anonymity.ts';
import { currentOverride } from '../../queries/feed-queries.ts';
import { fileFacts, indicatorStats, sensorsOf, sightings } from '../../queries/indicator-queries.ts';
import { relationsGraph } from '../../queries/relations-graph.ts';
import { csvDocument } from '../../export/csv.ts';
import { neighbourhoodBundle } from '../../stix/stix-neighbourhood.ts';
import { verdictAt, verdictTimeline, type HistoryEntry } from '../../queries/verdict-history.ts';
import { CrossTenant, IndicatorParams, NullableString, Page, problems, Reason, Time } from '../schemas.ts';
import { isAdmin, parseTime, tenantScope } from '../request-scope.ts';

const Record_ = Type.Object({
  verdict: Type.String(),
  score: Type.Number(),
  confidence: Type.Number(),
  categories: Type.Array(Type.String()),
  first_seen: NullableString,
  last_seen: NullableString,
  prevalence: CrossTenant,
  reasons: Type.Array(Reason),
  version: Type.Number(),
  ttl: Type.Integer(),
});

const HistoryItem = Type.Object({
  time: Type.String(),
  verdict: Type.String(),
  previous_verdict: Type.String(),
  score: Type.Number(),
  confidence: Type.Number(),
  source: Type.String({ description: 'stream, propagation or override.' }),
  policy_version: Type.String(),
  record_version: Type.Number(),
  reasons: Type.Array(Reason),
});

const AsOf = Type.Object({
  at: Type.String(),
  verdict: Type.String({ description: 'The verdict in force at that time (unknown before any change).' }),
  change: Type.Union([HistoryItem, Type.Null()]),
});

const Identity = { kind: Type.String(), value: Type.String(), digest: Type.String() };
const DAY = 86_400_000;
const iso = (ms: number | undefined) => (ms === undefined || ms <= 0 ? null : new Date(ms).toISOString());
const ms = (time: string | null): number | null => (time === null ? null : Date.parse(time));

/** A reason without its evidence count, for what fewer than k tenants saw. */
function withoutCount<R extends { rule: string; weight: number; evidence?: number; detail?: string }>(r: R): Omit<R, 'evidence'> {
  const { evidence: _withheld, ...rest } = r;
  return rest;
}

/** The analyst's questions about one indicator: record and stats, sightings, sensors, relations, history. */
export default async function indicatorRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const store = fastify.analystStore;
  const reader = fastify.analystReader;
  const config = fastify.analystConfig;
  const k = config.ANALYST_K_ANONYMITY;
  const pageMax = config.ANALYST_PAGE_MAX;

  /** The relations graph around an indicator, with each node's record as the tenant is answered. */
  async function neighbourhood(params: { kind: string; value: string }, viewer: string, depth: number, limit: number) {
    const ref = await resolveIndicator(store, params.kind, params.value, 'params.value');
    const graph = await relationsGraph(reader, ref, { depth, perHop: limit, maxEdges: config.ANALYST_RELATIONS_MAX_EDGES });
    const records = await store.getMany(graph.nodes.map((n) => uncheckedRecordKey(n.kind, n.digest)));
    const seen = records.map((record) => (record == null ? { verdict: 'unknown', score: null, firstSeen: null, lastSeen: null } : (() => {
      const r = recordForTenant(record, viewer);
      return { verdict: r.verdict, score: r.score, firstSeen: record.firstSeen, lastSeen: record.lastSeen };
    })()));
    return { ref, graph, seen };
  }

  /** A record as an analyst of this tenant may see it: counts below k and others' override notes withheld. */
  function visibleRecord(record: ReputationRecord, admin: boolean, ownOverride: boolean) {
    const counts = crossTenant(k, { tenants: record.prevalence.tenants, sensors: record.prevalence.sensors }, admin);
    return {
      verdict: record.verdict, score: record.score, confidence: record.confidence, categories: record.categories,
      first_seen: iso(record.firstSeen), last_seen: iso(record.lastSeen), prevalence: counts, version: record.version, ttl: record.ttl,
      reasons: record.reasons.map((r) => {
        // Any count in a reason may cross tenants (events, sensors, tenants): withheld below k.
        if (counts.suppressed) return withoutCount(r);
        if (r.rule === 'override' && !admin && !ownOverride) return { rule: r.rule, weight: r.weight };
        return r;
      }),
    };
  }

  async function asOf(ref: Parameters<typeof verdictAt>[1], at: number) {
    const change = await verdictAt(reader, ref, at);
    return { at: new Date(at).toISOString(), verdict: change?.verdict ?? 'unknown', change };
  }

  app.get('/v1/indicators/:kind/:value', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['analyst'], summary: 'An indicator: its record, reasons and statistics; with `at`, its verdict at that time.',
      params: IndicatorParams,
      querystring: Type.Object({ at: Type.Optional(Time) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          ...Identity,
          verdict: Type.String(),
          record: Type.Union([Record_, Type.Null()]),
          override: Type.Union([Type.Object({ verdict: Type.String(), scope: Type.String({ description: 'tenant (the caller’s own) or global.' }), analyst: Type.String(), actor: Type.String(), comment: Type.String(), time: Type.String() }), Type.Null()]),
          stats: Type.Object({
            own: Type.Object({ events: Type.Integer(), sensors: Type.Integer(), hosts: Type.Integer(), first_seen: NullableString, last_seen: NullableString }, { description: 'What the caller’s tenant saw (every tenant for admin keys).' }),
            cross_tenant: Type.Intersect([CrossTenant, Type.Object({ first_seen: Type.Optional(NullableString), last_seen: Type.Optional(NullableString), detections: Type.Optional(Type.Record(Type.String(), Type.Integer())) })]),
            k_anonymity: Type.Integer(),
          }),
          as_of: Type.Optional(AsOf),
          file: Type.Optional(Type.Object({
            names: Type.Array(Type.String(), { description: 'Names the caller’s sensors reported it under, most reported first (at most five).' }),
            signers: Type.Array(Type.String(), { description: 'Signers they reported, most reported first.' }),
            size: Type.Union([Type.Integer(), Type.Null()], { description: 'Bytes, as reported; null when no sensor said.' }),
          }, { description: 'Files only: what the caller’s tenant’s sensors reported of the file (every tenant’s for admin keys).' })),
        }),
        ...problems,
      },
    },
  }, async (request) => {
    const ref = await resolveIndicator(store, request.params.kind, request.params.value, 'params.value');
    const admin = isAdmin(request);
    const tenant = tenantScope(request);
    const at = request.query.at === undefined ? undefined : parseTime('querystring.at', request.query.at, 0);
    const [stored, stats, own, global, file] = await Promise.all([
      store.get(ref.key), indicatorStats(reader, ref, { tenant }),
      currentOverride(reader, ref.kind, ref.digest, 'tenant', request.principal!.tenant), currentOverride(reader, ref.kind, ref.digest, 'global', ''),
      ref.kind === 'file' ? fileFacts(reader, ref, { tenant }) : undefined,
    ]);
    // The caller's tenant sees its own view of the record, if it has one, and no other's.
    const record = stored === null ? null : recordForTenant(stored, request.principal!.tenant);
    // The override that decides what this tenant is answered: its own, else the global one
    // (whose author and reason every tenant it decides for may read).
    const override = own ?? global;
    const ownOverride = override !== null;
    const shown = publishable(k, stats.global.tenants, admin);
    return {
      kind: ref.kind, value: ref.value, digest: ref.digest,
      verdict: record?.verdict ?? 'unknown',
      record: record === null ? null : visibleRecord(record, admin, ownOverride),
      override: override === null ? null : { verdict: override.verdict, scope: override.scope, analyst: override.analyst, actor: override.actor, comment: override.comment, time: override.time },
      stats: {
        own: stats.own,
        cross_tenant: {
          ...crossTenant(k, stats.global, admin),
          ...(shown ? { first_seen: stats.global.first_seen, last_seen: stats.global.last_seen, detections: stats.global.detections } : {}),
        },
        k_anonymity: k,
      },
      ...(at !== undefined ? { as_of: await asOf(ref, at) } : {}),
      ...(file !== undefined ? { file } : {}),
    };
  });

  app.get('/v1/indicators/:kind/:value/sightings', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['analyst'], summary: 'Sightings over time: the caller’s own per bucket, and cross-tenant totals where k tenants contributed. The window is at most 31 days of hours or 366 of days (a longer one is cut to its latest part); from and to in the answer say which was read.',
      params: IndicatorParams,
      querystring: Type.Object({
        bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'hour' }),
        from: Type.Optional(Time),
        to: Type.Optional(Time),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          ...Identity,
          bucket: Type.String(), from: Type.String(), to: Type.String(), k_anonymity: Type.Integer(),
          own: Type.Array(Type.Object({ time: Type.String(), events: Type.Integer(), sensors: Type.Integer(), hosts: Type.Integer() })),
          cross_tenant: Type.Array(Type.Intersect([Type.Object({ time: Type.String() }), CrossTenant])),
        }),
        ...problems,
      },
    },
  }, async (request) => {
    const ref = await resolveIndicator(store, request.params.kind, request.params.value, 'params.value');
    const q = request.query;
    const stepS = q.bucket === 'day' ? 86_400 : 3_600;
    const now = Date.now();
    const to = parseTime('querystring.to', q.to, now);
    // A window longer than the bucket allows is cut to its latest part, and one that ends
    // before it starts is empty: the answer's from and to say which window was read.
    const maxSpan = q.bucket === 'day' ? 366 * DAY : 31 * DAY;
    const from = Math.min(to, Math.max(parseTime('querystring.from', q.from, to - (q.bucket === 'day' ? 30 * DAY : 7 * DAY)), to - maxSpan));
    const admin = isAdmin(request);
    const s = from < to ? await sightings(reader, ref, { tenant: tenantScope(request) }, { from, to, stepS }) : { own: [], global: [] };
    return {
      kind: ref.kind, value: ref.value, digest: ref.digest, bucket: q.bucket, from: new Date(from).toISOString(), to: new Date(to).toISOString(), k_anonymity: k,
      own: s.own,
      cross_tenant: s.global.map((b) => ({ time: b.time, ...crossTenant(k, b, admin) })),
    };
  });

  app.get('/v1/indicators/:kind/:value/sensors', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['analyst'], summary: 'The sensors and hosts that saw an indicator (the caller’s tenant only; every tenant for admin keys).',
      params: IndicatorParams,
      querystring: Type.Object(Page(pageMax), { additionalProperties: false }),
      response: {
        200: Type.Object({
          ...Identity, total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(),
          items: Type.Array(Type.Object({
            tenant: Type.String(), sensor: Type.String(), host: Type.String(), events: Type.Integer(),
            first_seen: NullableString, last_seen: NullableString, roles: Type.Array(Type.String()), engines: Type.Array(Type.String()),
          })),
        }),
        ...problems,
      },
    },
  }, async (request) => {
    const ref = await resolveIndicator(store, request.params.kind, request.params.value, 'params.value');
    const { limit, offset } = request.query;
    const result = await sensorsOf(reader, ref, { tenant: tenantScope(request) }, { limit, offset });
    return { kind: ref.kind, value: ref.value, digest: ref.digest, total: result.total, limit, offset, items: result.items };
  });

  app.get('/v1/indicators/:kind/:value/relations', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['analyst'], summary: 'The relations graph around an indicator, up to `depth` hops, with counts and current verdicts.',
      params: IndicatorParams,
      querystring: Type.Object({
        depth: Type.Integer({ minimum: 1, maximum: 3, default: 1 }),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Edges read per hop at most.' }),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          ...Identity, depth: Type.Integer(), truncated: Type.Boolean(), k_anonymity: Type.Integer(),
          nodes: Type.Array(Type.Object({ id: Type.String(), kind: Type.String(), value: Type.String(), digest: Type.String(), depth: Type.Integer(), verdict: Type.String() })),
          edges: Type.Array(Type.Object({
            source: Type.String(), target: Type.String(), rel: Type.String(),
            counts: Type.Object({ suppressed: Type.Boolean(), fewer_than: Type.Optional(Type.Integer()), events: Type.Optional(Type.Integer()), sensors: Type.Optional(Type.Integer()) }),
            first_seen: NullableString, last_seen: NullableString,
          })),
        }),
        ...problems,
      },
    },
  }, async (request) => {
    const { depth, limit } = request.query;
    const admin = isAdmin(request);
    const { ref, graph, seen } = await neighbourhood(request.params, request.principal!.tenant, depth, limit);
    return {
      kind: ref.kind, value: ref.value, digest: ref.digest, depth, truncated: graph.truncated, k_anonymity: k,
      nodes: graph.nodes.map((n, i) => ({ ...n, verdict: seen[i]!.verdict })),
      // The relations aggregate keeps no tenant, so its distinct sensors stand in for
      // contributors: a count is shown only when k sensors (hence possibly k tenants) saw the edge.
      edges: graph.edges.map((e) => ({
        source: e.source, target: e.target, rel: e.rel, first_seen: e.first_seen, last_seen: e.last_seen,
        counts: admin || e.sensors >= k ? { suppressed: false, events: e.events, sensors: e.sensors } : { suppressed: true, fewer_than: k },
      })),
    };
  });

  app.get('/v1/indicators/:kind/:value/history', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['analyst'], summary: 'Verdict history (oldest first); with `at`, what the verdict was at that time and the changes up to it.',
      params: IndicatorParams,
      querystring: Type.Object({ at: Type.Optional(Time), ...Page(pageMax) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ ...Identity, limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(HistoryItem), as_of: Type.Optional(AsOf) }),
        ...problems,
      },
    },
  }, async (request) => {
    const ref = await resolveIndicator(store, request.params.kind, request.params.value, 'params.value');
    const { limit, offset } = request.query;
    const at = request.query.at === undefined ? undefined : parseTime('querystring.at', request.query.at, 0);
    const [timeline, stored] = await Promise.all([verdictTimeline(reader, ref, { limit, offset, ...(at !== undefined ? { until: at } : {}) }), store.get(ref.key)]);
    // The logged reasons carry the counts of their time: withheld unless k tenants have seen it.
    const shown = publishable(k, stored?.prevalence.tenants ?? 0, isAdmin(request));
    const items: HistoryEntry[] = shown ? timeline : timeline.map((e) => ({ ...e, reasons: e.reasons.map(withoutCount) }));
    return { kind: ref.kind, value: ref.value, digest: ref.digest, limit, offset, items, ...(at !== undefined ? { as_of: await asOf(ref, at) } : {}) };
  });

  app.get('/v1/indicators/:kind/:value/export', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['analyst'], summary: 'An indicator and its neighbourhood (`depth` hops of relations) as a STIX 2.1 bundle or CSV, each with the verdict the caller is answered.',
      params: IndicatorParams,
      querystring: Type.Object({
        format: Type.Union([Type.Literal('stix'), Type.Literal('csv')], { default: 'stix' }),
        depth: Type.Integer({ minimum: 0, maximum: 3, default: 1, description: '0: the indicator alone.' }),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Edges read per hop at most.' }),
      }, { additionalProperties: false }),
      response: {
        200: Type.Union([
          Type.Object({ type: Type.Literal('bundle'), id: Type.String(), objects: Type.Array(Type.Object({}, { additionalProperties: true })) }, { description: 'application/stix+json;version=2.1: an indicator per node, a relationship per relation.' }),
          Type.String({ description: 'text/csv: kind, value, digest, hops, verdict, score, relation (how it is reached from the indicator nearer the start).' }),
        ]),
        ...problems,
      },
    },
  }, async (request, reply) => {
    const { format, depth, limit } = request.query;
    const { ref, graph, seen } = await neighbourhood(request.params, request.principal!.tenant, depth, limit);
    const nodes = depth === 0 ? graph.nodes.slice(0, 1) : graph.nodes;
    const edges = depth === 0 ? [] : graph.edges;
    const name = `${ref.kind}-${ref.digest.slice(0, 16)}-neighbourhood`;
    if (format === 'stix') {
      const bundle = neighbourhoodBundle(nodes.map((n, i) => ({ ...n, ...seen[i]! })), edges.map((e) => ({ source: e.source, target: e.target, rel: e.rel, firstSeen: ms(e.first_seen), lastSeen: ms(e.last_seen) })), Date.now());
      return reply.header('content-type', 'application/stix+json;version=2.1').header('content-disposition', `attachment; filename="${name}.json"`).send(Buffer.from(JSON.stringify(bundle)) as unknown as string);
    }
    const byId = new Map(nodes.map((n) => [n.id, n]));
    // Each node's relation towards the start: an edge to a node one hop nearer.
    const toward = (n: (typeof nodes)[number]): string => {
      const e = edges.find((x) => (x.source === n.id && byId.get(x.target)?.depth === n.depth - 1) || (x.target === n.id && byId.get(x.source)?.depth === n.depth - 1));
      if (e === undefined) return '';
      const other = byId.get(e.source === n.id ? e.target : e.source)!;
      return `${e.rel} ${other.kind} ${other.value}`;
    };
    const rows = [['kind', 'value', 'digest', 'hops', 'verdict', 'score', 'relation'], ...nodes.map((n, i) => [n.kind, n.value, n.digest, String(n.depth), seen[i]!.verdict, seen[i]!.score === null ? '' : String(seen[i]!.score), toward(n)])];
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(csvDocument(rows));
  });
}
