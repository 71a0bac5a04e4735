import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { conflict, forbidden, notFound } from '../../analyst-error.ts';
import type { Dispute } from '../../disputes/dispute-store.ts';
import { resolveIndicator } from '../../indicators/resolve-indicator.ts';
import { anyScope } from '../../plugins/any-scope.ts';
import { Kind, Page, problems } from '../schemas.ts';
import { isAdmin } from '../request-scope.ts';
import { OverrideResult, setOverride } from '../overrides/index.ts';

const Verdict = Type.Union(['malicious', 'suspicious', 'clean', 'unknown'].map((v) => Type.Literal(v)));
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
 * Disputes: a partner or tenant contests a verdict, an analyst accepts (which applies the
 * requested verdict as an override) or rejects it with a note. A dispute is visible to its
 * filer's tenant only, and to admin keys; an analyst resolves disputes of their own tenant,
 * an admin any.
 */
export default async function disputeRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const disputes = fastify.analystDisputes;
  const store = fastify.analystStore;
  const filers = anyScope(fastify.analystKeys, ['lookup', 'partner', 'analyst']);
  const pageMax = fastify.analystConfig.ANALYST_PAGE_MAX;

  const visible = async (request: FastifyRequest, id: string): Promise<Dispute> => {
    const d = await disputes.get(id);
    if (d === null || (!isAdmin(request) && d.tenant !== request.principal!.tenant)) throw notFound(`no dispute ${id}`, 'REPUTE_ANALYST_NO_DISPUTE');
    return d;
  };

  app.post('/v1/disputes', {
    onRequest: filers,
    schema: {
      tags: ['disputes'], summary: 'Files a dispute of a verdict (keys with lookup, partner or analyst scope).',
      body: Type.Object({
        kind: Kind,
        value: Type.String({ minLength: 1, maxLength: 4096 }),
        requested_verdict: Verdict,
        reason: Type.String({ minLength: 3, maxLength: 2000 }),
      }, { additionalProperties: false }),
      response: { 201: DisputeSchema, ...problems },
    },
  }, async (request, reply) => {
    const ref = await resolveIndicator(store, request.body.kind, request.body.value, 'body.value');
    const p = request.principal!;
    const record = await store.get(ref.key);
    const d = await disputes.create({
      tenant: p.tenant, filed_by: p.keyId, kind: ref.kind, value: ref.value, digest: ref.digest,
      requested_verdict: request.body.requested_verdict, reason: request.body.reason, verdict_at_filing: record?.verdict ?? 'unknown',
    });
    return reply.code(201).header('location', `/v1/disputes/${d.id}`).send(view(d));
  });

  app.get('/v1/disputes', {
    onRequest: filers,
    schema: {
      tags: ['disputes'], summary: 'Disputes of the caller’s tenant (all for admin keys), newest first.',
      querystring: Type.Object({ status: Type.Optional(Status), ...Page(pageMax) }, { additionalProperties: false }),
      response: { 200: Type.Object({ limit: Type.Integer(), offset: Type.Integer(), items: Type.Array(DisputeSchema) }), ...problems },
    },
  }, async (request) => {
    const q = request.query;
    const items = await disputes.list(isAdmin(request) ? null : request.principal!.tenant, q.status ?? null, { limit: q.limit, offset: q.offset });
    return { limit: q.limit, offset: q.offset, items: items.map(view) };
  });

  app.get('/v1/disputes/:id', {
    onRequest: filers,
    schema: { tags: ['disputes'], summary: 'A dispute and its status.', params: IdParams, response: { 200: DisputeSchema, ...problems } },
  }, async (request) => view(await visible(request, request.params.id)));

  app.post('/v1/disputes/:id/resolve', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['disputes'], summary: 'Accepts (applying the requested verdict as an override) or rejects a dispute, with a note.',
      params: IdParams,
      body: Type.Object({ outcome: Type.Union([Type.Literal('accept'), Type.Literal('reject')]), note: Type.String({ minLength: 3, maxLength: 2000 }) }, { additionalProperties: false }),
      response: { 200: DisputeSchema, 409: problems[403], ...problems },
    },
  }, async (request) => {
    const d = await visible(request, request.params.id);
    if (d.status !== 'open') throw conflict(`dispute ${d.id} is already ${d.status}`, 'REPUTE_ANALYST_DISPUTE_CLOSED');
    const p = request.principal!;
    if (!isAdmin(request) && p.tenant !== d.tenant) throw forbidden('only analysts of the filing tenant or admins resolve this dispute');
    const accepted = request.body.outcome === 'accept';
    const resolved = await disputes.resolve(d.id, { status: accepted ? 'accepted' : 'rejected', by: p.keyId, tenant: p.tenant, note: request.body.note });
    if (resolved === null) throw conflict(`dispute ${d.id} was resolved meanwhile`, 'REPUTE_ANALYST_DISPUTE_CLOSED');
    if (!accepted) return view(resolved);
    const ref = await resolveIndicator(store, d.kind, d.value, 'value');
    const override = await setOverride(fastify, request, ref, {
      verdict: d.requested_verdict as 'malicious' | 'suspicious' | 'clean' | 'unknown', analyst: p.keyId, tenant: d.tenant, comment: `dispute ${d.id}: ${request.body.note}`,
    });
    return { ...view(resolved), override };
  });
}
