import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { hasScope } from '@repute/auth';
import { VERDICTS, type Verdict as VerdictName } from '@repute/core';
import { conflict, forbidden, notFound, tenantLimit } from '../../analyst-error.ts';
import type { Dispute } from '../../disputes/dispute-store.ts';
import { resolveIndicator } from '../../indicators/resolve-indicator.ts';
import { IndicatorValue, Kind, Page, problems } from '../schemas.ts';
import { isAdmin } from '../request-scope.ts';
import { OverrideResult, setOverride } from '../overrides/index.ts';

/** Keys that may use these routes: a tenant's lookup key, a partner's or an analyst's. */
const CALLERS = ['lookup', 'partner', 'analyst'] as const;

// Core's verdicts, most severe first as this API has always listed them.
const Verdict = Type.Union([...VERDICTS].reverse().map((v) => Type.Literal(v)));
const Status = Type.Union([Type.Literal('open'), Type.Literal('accepted'), Type.Literal('rejected')]);

const DisputeSchema = Type.Object({
  id: Type.String(), tenant: Type.String(), filed_by: Type.String({ description: 'Key id that filed it.' }),
  kind: Type.String(), value: Type.String(), requested_verdict: Type.String(), reason: Type.String(),
  verdict_at_filing: Type.String(), status: Status, created_at: Type.String(),
  resolved_at: Type.Optional(Type.String()), resolved_by: Type.Optional(Type.String()), note: Type.Optional(Type.String()),
  override: Type.Optional(OverrideResult),
});

const IdParams = Type.Object({ id: Type.String({ pattern: '^dsp_[0-9a-f]{16}$', description: 'Dispute id.' }) });

/** What a caller may know of a dispute: everything but the resolver's tenant. */
function view(d: Dispute) {
  const { resolver_tenant: _hidden, digest: _digest, ...rest } = d;
  return rest;
}

/**
 * Disputes: a partner or tenant contests a verdict; one of the operator's curators accepts it
 * (which applies the requested verdict as a global override) or rejects it with a note, never
 * the key that filed it. A dispute is visible to its filer's tenant, and to curator and admin
 * keys. (A tenant that only wants its own answers changed sets its own override.)
 */
export default async function disputeRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const disputes = fastify.analystDisputes;
  const store = fastify.analystStore;
  const pageMax = fastify.analystConfig.ANALYST_PAGE_MAX;

  // Curators decide disputes for everyone, so they see every tenant's.
  const seesAll = (request: FastifyRequest): boolean => isAdmin(request) || hasScope(request.principal!.scopes, 'curator');
  const visible = async (request: FastifyRequest, id: string): Promise<Dispute> => {
    const d = await disputes.get(id);
    if (d === null || (!seesAll(request) && d.tenant !== request.principal!.tenant)) throw notFound(`no dispute ${id}`, 'REPUTE_ANALYST_NO_DISPUTE');
    return d;
  };

  app.post('/v1/disputes', {
    config: { scope: CALLERS },
    schema: {
      tags: ['disputes'], summary: 'Files a dispute of a verdict (keys with lookup, partner or analyst scope).',
      body: Type.Object({
        kind: Kind,
        value: IndicatorValue,
        requested_verdict: Verdict,
        reason: Type.String({ minLength: 3, maxLength: 2000 }),
      }, { additionalProperties: false }),
      response: { 201: DisputeSchema, ...problems },
    },
  }, async (request, reply) => {
    const ref = await resolveIndicator(store, request.body.kind, request.body.value, 'body.value');
    const p = request.principal!;
    const cap = fastify.analystConfig.ANALYST_TENANT_MAX_OPEN_DISPUTES;
    if ((await disputes.list(p.tenant, 'open', { limit: cap, offset: 0 })).length >= cap) {
      throw tenantLimit('body', `would be open dispute ${cap + 1} of this tenant; at most ${cap} wait for a curator at once`);
    }
    const record = await store.get(ref.key);
    const d = await disputes.create({
      tenant: p.tenant, filed_by: p.keyId, kind: ref.kind, value: ref.value, digest: ref.digest,
      requested_verdict: request.body.requested_verdict, reason: request.body.reason, verdict_at_filing: record?.verdict ?? 'unknown',
    });
    return reply.code(201).header('location', `/v1/disputes/${d.id}`).send(view(d));
  });

  app.get('/v1/disputes', {
    config: { scope: CALLERS },
    schema: {
      tags: ['disputes'], summary: 'Disputes of the caller’s tenant (all for curator and admin keys), newest first.',
      querystring: Type.Object({ status: Type.Optional(Status), ...Page(pageMax) }, { additionalProperties: false }),
      response: { 200: Type.Object({ limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(DisputeSchema) }), ...problems },
    },
  }, async (request) => {
    const q = request.query;
    const items = await disputes.list(seesAll(request) ? null : request.principal!.tenant, q.status ?? null, { limit: q.limit, offset: q.offset });
    return { limit: q.limit, offset: q.offset, items: items.map(view) };
  });

  app.get('/v1/disputes/:id', {
    config: { scope: CALLERS },
    schema: { tags: ['disputes'], summary: 'A dispute and its status.', params: IdParams, response: { 200: DisputeSchema, ...problems } },
  }, async (request) => view(await visible(request, request.params.id)));

  app.post('/v1/disputes/:id/resolve', {
    config: { scope: 'curator' },
    schema: {
      tags: ['disputes'], summary: 'A curator accepts (applying the requested verdict as a global override) or rejects a dispute, with a note. Never its filer.',
      params: IdParams,
      body: Type.Object({
        outcome: Type.Union([Type.Literal('accept'), Type.Literal('reject')]),
        note: Type.String({ minLength: 3, maxLength: 2000 }),
        actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'The person the key acts for, kept in the audit.' })),
      }, { additionalProperties: false }),
      response: { 200: DisputeSchema, 409: problems[403], ...problems },
    },
  }, async (request) => {
    const d = await visible(request, request.params.id);
    if (d.status !== 'open') throw conflict(`dispute ${d.id} is already ${d.status}`, 'REPUTE_ANALYST_DISPUTE_CLOSED');
    const p = request.principal!;
    // An accepted dispute decides for every tenant: whoever filed it is a party, not a judge.
    if (p.keyId === d.filed_by) throw forbidden('a dispute is decided by a curator other than the key that filed it');
    const accepted = request.body.outcome === 'accept';
    const resolved = await disputes.resolve(d.id, { status: accepted ? 'accepted' : 'rejected', by: p.keyId, tenant: p.tenant, note: request.body.note });
    if (resolved === null) throw conflict(`dispute ${d.id} was resolved meanwhile`, 'REPUTE_ANALYST_DISPUTE_CLOSED');
    if (!accepted) return view(resolved);
    const ref = await resolveIndicator(store, d.kind, d.value, 'value');
    const override = await setOverride(fastify, request, ref, {
      verdict: d.requested_verdict as VerdictName, analyst: p.keyId, tenant: p.tenant, scope: 'global',
      ...(request.body.actor !== undefined ? { actor: request.body.actor } : {}), comment: `dispute ${d.id}: ${request.body.note}`,
    });
    return { ...view(resolved), override };
  });
}
