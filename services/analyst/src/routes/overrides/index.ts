import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasScope } from '@repute/auth';
import { INDICATOR_KINDS, recordForTenant, VERDICTS, type IndicatorKind } from '@repute/core';
import { ReputeError } from '@repute/http';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { applyOverride, type IndicatorRef, type OverrideInput, type OverrideLift } from '@repute/verdicts';
import { forbidden, notFound } from '../../analyst-error.ts';
import { resolveIndicator } from '../../indicators/resolve-indicator.ts';
import { currentOverride, overrideAudit } from '../../queries/feed-queries.ts';
import { IndicatorParams, IndicatorValue, Kind, Page, problems } from '../schemas.ts';
import { tenantScope } from '../request-scope.ts';

// Core's verdicts, most severe first as this API has always listed them.
const Verdict = Type.Union([...VERDICTS].reverse().map((v) => Type.Literal(v)));

const Scope = Type.Union([Type.Literal('tenant'), Type.Literal('global')], {
  description: '`tenant` (default): the caller’s tenant’s own view, for its lookups only. `global`: for everyone; curator keys only.',
});
const Actor = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'The person the key acts for, kept in the audit with the key.' });

export const OverrideResult = Type.Object({
  kind: Type.String(), value: Type.String(), digest: Type.String(),
  scope: Scope,
  verdict: Type.String({ description: 'The verdict now served to the caller’s tenant.' }),
  changed: Type.Boolean({ description: 'Whether the verdict served to the caller’s tenant changed.' }),
  override: Type.Union([Type.Object({ verdict: Type.String(), reason: Type.String(), analyst: Type.String(), actor: Type.String() }), Type.Null()]),
});

/** A global override decides for every tenant: only the operator's curators set or lift one. */
export function requireCurator(request: FastifyRequest): void {
  if (!hasScope(request.principal!.scopes, 'curator')) throw forbidden('a global override decides for every tenant: it needs a key with the curator scope');
}

/**
 * Sets or lifts an override through the shared verdicts module, so the record, the verdict log
 * and the audit row are written by the one path the correlator uses, and the edge sees the
 * record change on the update stream at once.
 */
export async function setOverride(fastify: FastifyInstance, request: FastifyRequest, ref: IndicatorRef, input: OverrideInput | null, lift?: OverrideLift): Promise<Static<typeof OverrideResult>> {
  const config = fastify.analystConfig;
  const by = (input ?? lift)!;
  const tenant = request.principal!.tenant;
  const before = await fastify.analystStore.get(ref.key);
  await applyOverride(
    { redis: fastify.analystRedis, clickhouse: fastify.analystClickHouse, database: config.CLICKHOUSE_DATABASE, rescorer: fastify.analystRescorer, prefix: config.REDIS_KEY_PREFIX },
    ref, input, lift,
  );
  const stored = await fastify.analystStore.get(ref.key);
  const record = stored === null ? null : recordForTenant(stored, tenant);
  const was = before === null ? 'unknown' : recordForTenant(before, tenant).verdict;
  request.log.info({ override: { kind: ref.kind, digest: ref.digest, scope: by.scope, verdict: input?.verdict ?? null } }, 'override');
  return {
    kind: ref.kind, value: ref.value, digest: ref.digest, scope: by.scope, verdict: record?.verdict ?? 'unknown', changed: (record?.verdict ?? 'unknown') !== was,
    override: input === null ? null : { verdict: input.verdict, reason: input.comment ?? '', analyst: input.analyst, actor: input.actor ?? '' },
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
      tags: ['overrides'], summary: 'Sets an override: the caller’s tenant’s own view by default, or for everyone (`scope: global`, curator keys). It wins over every rule, applies at once and is audited.',
      params: IndicatorParams,
      body: Type.Object({
        verdict: Verdict,
        reason: Type.String({ minLength: 3, maxLength: 1000, description: 'Why: kept in the audit log.' }),
        scope: Type.Optional(Scope),
        actor: Type.Optional(Actor),
      }, { additionalProperties: false }),
      response: { 200: OverrideResult, ...problems },
    },
  }, async (request) => {
    const scope = request.body.scope ?? 'tenant';
    if (scope === 'global') requireCurator(request);
    const ref = await resolveIndicator(store, request.params.kind, request.params.value, 'params.value');
    const p = request.principal!;
    return setOverride(fastify, request, ref, { verdict: request.body.verdict, analyst: p.keyId, tenant: p.tenant, scope, ...(request.body.actor !== undefined ? { actor: request.body.actor } : {}), comment: request.body.reason });
  });

  app.delete('/v1/overrides/:kind/:value', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['overrides'], summary: 'Lifts the caller’s tenant’s override, or the global one (`scope=global`, curator keys).',
      params: IndicatorParams,
      querystring: Type.Object({
        reason: Type.Optional(Type.String({ minLength: 3, maxLength: 1000, description: 'Why the override is lifted: kept in the audit log.' })),
        scope: Type.Optional(Scope),
        actor: Type.Optional(Actor),
      }, { additionalProperties: false }),
      response: { 200: OverrideResult, ...problems },
    },
  }, async (request) => {
    const scope = request.query.scope ?? 'tenant';
    if (scope === 'global') requireCurator(request);
    const ref = await resolveIndicator(store, request.params.kind, request.params.value, 'params.value');
    const p = request.principal!;
    const current = await currentOverride(reader, ref.kind, ref.digest, scope, p.tenant);
    if (current === null) throw notFound(scope === 'global' ? 'no global override is in force on this indicator' : 'no override of your tenant is in force on this indicator', 'REPUTE_ANALYST_NO_OVERRIDE');
    return setOverride(fastify, request, ref, null, { analyst: p.keyId, tenant: p.tenant, scope, ...(request.query.actor !== undefined ? { actor: request.query.actor } : {}), comment: request.query.reason ?? 'override lifted' });
  });

  app.get('/v1/overrides/audit', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['overrides'], summary: 'The override audit log, newest first: the caller’s tenant’s overrides and every global one, with the key and person behind each (all for admin keys). `kind` and `value` narrow it; a value that is no indicator matches nothing.',
      querystring: Type.Object({ kind: Type.Optional(Kind), value: Type.Optional(IndicatorValue), ...Page(pageMax) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          limit: Type.Integer(), offset: Type.Integer(),
          items: Type.Array(Type.Object({
            time: Type.String(), kind: Type.String(), value: Type.String(), verdict: Type.String(), scope: Scope, analyst: Type.String({ description: 'The key that acted.' }),
            actor: Type.String({ description: 'The person the key acted for, when named.' }), tenant: Type.String(), reason: Type.String(), action: Type.String({ description: 'set or lift.' }),
          })),
        }),
        ...problems,
      },
    },
  }, async (request) => {
    const q = request.query;
    // Filters narrow a search, they name nothing: a value that is no indicator (of the kind,
    // when one is given) matches no entry rather than failing the request.
    let identities: string[] | null = null;
    if (q.value !== undefined) {
      identities = [];
      for (const kind of q.kind === undefined ? INDICATOR_KINDS : [q.kind as IndicatorKind]) {
        const ref = await resolveIndicator(store, kind, q.value, 'querystring.value').catch((err: unknown) => {
          if (err instanceof ReputeError && err.status < 500) return null;
          throw err;
        });
        if (ref !== null) identities.push(`${ref.kind}:${ref.digest}`);
      }
    }
    const rows = await overrideAudit(reader, { tenant: tenantScope(request), kind: q.kind ?? '', identities, limit: q.limit, offset: q.offset });
    return {
      limit: q.limit, offset: q.offset,
      items: rows.map((r) => ({ time: r.time, kind: r.kind, value: r.value, verdict: r.verdict, scope: r.scope, analyst: r.analyst, actor: r.actor, tenant: r.tenant, reason: r.comment, action: r.active ? 'set' : 'lift' })),
    };
  });
}
