import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { applyOverride, type IndicatorRef, type OverrideInput, type OverrideLift } from '@repute/verdicts';
import { badField, notFound } from '../../analyst-error.ts';
import { resolveIndicator } from '../../indicators/resolve-indicator.ts';
import { currentOverride, overrideAudit } from '../../queries/feed-queries.ts';
import { IndicatorParams, Kind, Page, problems } from '../schemas.ts';
import { isAdmin, tenantScope } from '../request-scope.ts';

const Verdict = Type.Union(['malicious', 'suspicious', 'clean', 'unknown'].map((v) => Type.Literal(v)));

export const OverrideResult = Type.Object({
  kind: Type.String(), value: Type.String(), digest: Type.String(),
  verdict: Type.String({ description: 'The verdict now served.' }),
  changed: Type.Boolean({ description: 'Whether the served verdict changed.' }),
  override: Type.Union([Type.Object({ verdict: Type.String(), reason: Type.String(), analyst: Type.String() }), Type.Null()]),
});

/**
 * Sets or lifts an override through the shared verdicts module, so the record, the verdict log
 * and the audit row are written by the one path the correlator uses, and the edge sees the
 * record change on the update stream at once.
 */
export async function setOverride(fastify: FastifyInstance, request: FastifyRequest, ref: IndicatorRef, input: OverrideInput | null, lift?: OverrideLift): Promise<Static<typeof OverrideResult>> {
  const config = fastify.analystConfig;
  const changes = await applyOverride(
    { redis: fastify.analystRedis, clickhouse: fastify.analystClickHouse, database: config.CLICKHOUSE_DATABASE, rescorer: fastify.analystRescorer, prefix: config.REDIS_KEY_PREFIX },
    ref, input, lift,
  );
  const record = await fastify.analystStore.get(ref.key);
  request.log.info({ override: { kind: ref.kind, digest: ref.digest, verdict: input?.verdict ?? null } }, 'analyst override');
  return {
    kind: ref.kind, value: ref.value, digest: ref.digest, verdict: record?.verdict ?? 'unknown', changed: changes.length > 0,
    override: input === null ? null : { verdict: input.verdict, reason: input.comment ?? '', analyst: input.analyst },
  };
}

export default async function overrideRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const store = fastify.analystStore;
  const reader = fastify.analystReader;
  const pageMax = fastify.analystConfig.ANALYST_PAGE_MAX;

  app.put('/v1/overrides/:kind/:value', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['overrides'], summary: 'Sets an analyst override: it wins over every rule, applies at once and is audited.',
      params: IndicatorParams,
      body: Type.Object({ verdict: Verdict, reason: Type.String({ minLength: 3, maxLength: 1000, description: 'Why: kept in the audit log.' }) }, { additionalProperties: false }),
      response: { 200: OverrideResult, ...problems },
    },
  }, async (request) => {
    const ref = await resolveIndicator(store, request.params.kind, request.params.value, 'params.value');
    const p = request.principal!;
    return setOverride(fastify, request, ref, { verdict: request.body.verdict, analyst: p.keyId, tenant: p.tenant, comment: request.body.reason });
  });

  app.delete('/v1/overrides/:kind/:value', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['overrides'], summary: 'Lifts the override in force (one set by the caller’s tenant, or any for admin keys).',
      params: IndicatorParams,
      querystring: Type.Object({ reason: Type.Optional(Type.String({ minLength: 3, maxLength: 1000, description: 'Why the override is lifted: kept in the audit log.' })) }, { additionalProperties: false }),
      response: { 200: OverrideResult, ...problems },
    },
  }, async (request) => {
    const ref = await resolveIndicator(store, request.params.kind, request.params.value, 'params.value');
    const current = await currentOverride(reader, ref.kind, ref.digest);
    // Another tenant's override is reported as absent: its existence is that tenant's business.
    if (current === null || (!isAdmin(request) && current.tenant !== request.principal!.tenant)) throw notFound('no override of yours is in force on this indicator', 'REPUTE_ANALYST_NO_OVERRIDE');
    const p = request.principal!;
    return setOverride(fastify, request, ref, null, { analyst: p.keyId, tenant: p.tenant, comment: request.query.reason ?? 'override lifted' });
  });

  app.get('/v1/overrides/audit', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['overrides'], summary: 'The override audit log, newest first: the caller’s tenant’s overrides and their lifts (all for admin keys).',
      querystring: Type.Object({ kind: Type.Optional(Kind), value: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })), ...Page(pageMax) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          limit: Type.Integer(), offset: Type.Integer(),
          items: Type.Array(Type.Object({ time: Type.String(), kind: Type.String(), value: Type.String(), verdict: Type.String(), analyst: Type.String(), tenant: Type.String(), reason: Type.String(), action: Type.String({ description: 'set or lift.' }) })),
        }),
        ...problems,
      },
    },
  }, async (request) => {
    const q = request.query;
    if ((q.kind === undefined) !== (q.value === undefined)) throw badField(q.kind === undefined ? 'querystring.kind' : 'querystring.value', 'is required when the other of kind and value is given');
    const ref = q.kind !== undefined && q.value !== undefined ? await resolveIndicator(store, q.kind, q.value, 'querystring.value') : undefined;
    const rows = await overrideAudit(reader, { tenant: tenantScope(request), kind: ref?.kind ?? '', digest: ref?.digest ?? '', limit: q.limit, offset: q.offset });
    return {
      limit: q.limit, offset: q.offset,
      items: rows.map((r) => ({ time: r.time, kind: r.kind, value: r.value, verdict: r.verdict, analyst: r.analyst, tenant: r.tenant, reason: r.comment, action: r.active ? 'set' : 'lift' })),
    };
  });
}

