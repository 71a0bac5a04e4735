import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { uncheckedRecordKey } from '@repute/core';
import { crossTenant } from '../../privacy/k-anonymity.ts';
import { newAndSpreading, topDetections, type HuntQuery, type HuntRow } from '../../queries/hunts.ts';
import { CrossTenant, Kind, NullableString, Page, problems } from '../schemas.ts';
import { isAdmin, parseWindow, tenantScope } from '../request-scope.ts';

// The pattern is the whole rule (a positive duration of at most 30 days, up to five digits), so
// the document accepts exactly what parseWindow does.
const Window = Type.String({
  pattern: '^0*(?:(?:[1-9]|[12][0-9]|30)d|(?:[1-9][0-9]?|[1-6][0-9][0-9]|7[01][0-9]|720)h|(?:[1-9][0-9]{0,3}|[1-3][0-9]{4}|4[0-2][0-9]{3}|43[01][0-9][0-9]|43200)m)$',
  maxLength: 6, default: '24h', description: 'Look-back window: 90m, 24h, 7d (at most 30 days).',
});
const MAX_WINDOW = 30 * 86_400_000;
const VerdictList = Type.String({
  pattern: '^(malicious|suspicious|clean|unknown)(,(malicious|suspicious|clean|unknown))*$', maxLength: 60,
  description: 'Only indicators whose current verdict is one of these, comma-separated (`malicious,suspicious` leads a console with what needs a look).',
});
// Rows the verdict filter reads past at most, in pages: the ranking is ClickHouse's, the verdict Redis's.
const FILTER_PAGE = 200;
const FILTER_PAGES = 10;

const Item = Type.Object({
  kind: Type.String(), value: Type.String(), digest: Type.String(), verdict: Type.String(),
  first_seen: NullableString, last_seen: NullableString,
  growth: Type.Integer({ description: 'Distinct sensors in the later half of the window minus the earlier half.' }),
  detections: Type.Integer(),
  cross_tenant: CrossTenant,
});

/**
 * Hunting lists over the hourly aggregate. An indicator appears only when the caller's tenant
 * saw it or at least k tenants did: otherwise the list itself would tell that someone else saw it.
 */
export default async function huntRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reader = fastify.analystReader;
  const store = fastify.analystStore;
  const k = fastify.analystConfig.ANALYST_K_ANONYMITY;
  const pageMax = Math.min(fastify.analystConfig.ANALYST_PAGE_MAX, 1000);
  const schema = (summary: string, withWindow: boolean) => ({
    tags: ['hunts'], summary,
    querystring: Type.Object({ ...(withWindow ? { window: Window } : {}), kind: Type.Optional(Kind), verdict: Type.Optional(VerdictList), ...Page(pageMax) }, { additionalProperties: false }),
    response: { 200: Type.Object({ from: Type.String(), to: Type.String(), limit: Type.Integer(), offset: Type.Integer(), k_anonymity: Type.Integer(), items: Type.Array(Item) }), ...problems },
  });

  type Hunt = (reader: typeof fastify.analystReader, q: HuntQuery) => Promise<HuntRow[]>;

  /**
   * A hunt's page, with each row's current verdict; with `verdicts`, only rows whose verdict is
   * one of them, read page by page down the ranking (bounded) until the page is full.
   */
  async function answer(hunt: Hunt, q: HuntQuery, admin: boolean, tenant: string, verdicts: ReadonlySet<string> | undefined) {
    const rows: { row: HuntRow; verdict: string }[] = [];
    const withVerdicts = async (page: HuntRow[]) => {
      const records = await store.getMany(page.map((r) => uncheckedRecordKey(r.kind, r.digest)));
      // A tenant with a view of its own is ranked by its verdict, as its lookups answer.
      return page.map((row, i) => ({ row, verdict: records[i]?.views?.[tenant]?.verdict ?? records[i]?.verdict ?? 'unknown' }));
    };
    if (verdicts === undefined) rows.push(...await withVerdicts(await hunt(reader, q)));
    else {
      const wanted = q.offset + q.limit;
      for (let page = 0; page < FILTER_PAGES && rows.length < wanted; page++) {
        const batch = await hunt(reader, { ...q, offset: page * FILTER_PAGE, limit: FILTER_PAGE });
        for (const r of await withVerdicts(batch)) if (verdicts.has(r.verdict)) rows.push(r);
        if (batch.length < FILTER_PAGE) break;
      }
      rows.splice(0, q.offset);
      rows.splice(q.limit);
    }
    return {
      from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), limit: q.limit, offset: q.offset, k_anonymity: k,
      items: rows.map(({ row: r, verdict }) => ({
        kind: r.kind, value: r.value, digest: r.digest, verdict, first_seen: r.first_seen, last_seen: r.last_seen,
        growth: r.growth, detections: r.detections, cross_tenant: crossTenant(k, r, admin),
      })),
    };
  }
  const verdictFilter = (request: { query: { verdict?: string | undefined } }): ReadonlySet<string> | undefined =>
    request.query.verdict === undefined ? undefined : new Set(request.query.verdict.split(','));

  const query = (request: { query: { kind?: string | undefined; limit: number; offset: number } }, tenant: string, from: number, to: number): HuntQuery =>
    ({ from, to, kind: request.query.kind ?? '', tenant, k, limit: request.query.limit, offset: request.query.offset });

  app.get('/v1/hunts/new-and-spreading', { config: { scope: 'analyst' }, schema: schema('Indicators first seen within the window, ranked by prevalence growth.', true) }, async (request) => {
    const to = Date.now();
    const q = query(request, tenantScope(request), to - parseWindow('querystring.window', (request.query as { window?: string }).window ?? '24h', MAX_WINDOW), to);
    return answer(newAndSpreading, q, isAdmin(request), request.principal!.tenant, verdictFilter(request));
  });

  app.get('/v1/hunts/top-detections', { config: { scope: 'analyst' }, schema: schema('Indicators with the most engine detections within the window.', true) }, async (request) => {
    const to = Date.now();
    const q = query(request, tenantScope(request), to - parseWindow('querystring.window', (request.query as { window?: string }).window ?? '24h', MAX_WINDOW), to);
    return answer(topDetections, q, isAdmin(request), request.principal!.tenant, verdictFilter(request));
  });

  app.get('/v1/hunts/first-seen-today', { config: { scope: 'analyst' }, schema: schema('Indicators first seen since 00:00 UTC, ranked by prevalence growth.', false) }, async (request) => {
    const to = Date.now();
    const midnight = Math.floor(to / 86_400_000) * 86_400_000;
    const q = query(request, tenantScope(request), midnight, to);
    return answer(newAndSpreading, q, isAdmin(request), request.principal!.tenant, verdictFilter(request));
  });
}
