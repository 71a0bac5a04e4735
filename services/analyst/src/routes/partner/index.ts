import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { expressionAnswersFor, indicatorSyntaxProblem, ipNetwork, isIndicatorError, parseIndicator, recordKey, sha256, uncheckedRecordKey, urlExpressions, type IndicatorKind, type ReputationRecord } from '@repute/core';
import { badField } from '../../analyst-error.ts';
import { IndicatorParams, NullableString, problems, Reason } from '../schemas.ts';

const Answer = Type.Object({
  kind: Type.String(), value: Type.String(), verdict: Type.String(),
  score: Type.Union([Type.Number(), Type.Null()]), confidence: Type.Union([Type.Number(), Type.Null()]),
  categories: Type.Array(Type.String()), first_seen: NullableString, last_seen: NullableString,
  reasons: Type.Array(Reason), matched: Type.Union([Type.String(), Type.Null()], { description: 'The record that decided (URL expression, network), when not the value itself.' }),
  ttl: Type.Integer(),
});

/**
 * Partner lookups, read through the reputation store: the same records the edge serves, for
 * keys with the partner scope, under their per-key daily quota (the auth plugin counts it). The
 * edge's own lookup path stays for lookup keys; this one adds the URL expression walk and the
 * IP network, not the edge's filters or cache, which a partner's volume does not need.
 */
export default async function partnerRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const store = fastify.analystStore;

  async function lookup(kind: IndicatorKind, raw: string, field: string) {
    // The API syntax the document publishes, then the canonical form.
    const problem = indicatorSyntaxProblem(kind, raw);
    if (problem !== null) throw badField(field, problem, 'REPUTE_INDICATOR_SYNTAX');
    let parsed;
    try {
      parsed = parseIndicator(kind, raw);
    } catch (err) {
      throw badField(field, isIndicatorError(err) ? err.message : 'is not a valid indicator', isIndicatorError(err) ? err.code : 'REPUTE_INDICATOR_INVALID');
    }
    const candidates: { key: string; label: string | null }[] = [{ key: parsed.key, label: null }];
    // Broader expressions, but not a host root other than the URL's own page, as the edge does.
    if (kind === 'url') {
      const [exact, ...broader] = urlExpressions(parsed.value);
      for (const e of broader) if (expressionAnswersFor(e, exact!)) candidates.push({ key: recordKey('url', sha256(e)), label: e });
    }
    if (kind === 'ip' && !parsed.value.includes('/')) {
      const net = ipNetwork(parsed.value);
      candidates.push({ key: recordKey('ip', sha256(net)), label: net });
    }
    if (parsed.hashAlgorithm !== undefined && parsed.hashAlgorithm !== 'sha256') {
      const [target] = await store.getManyRaw([parsed.key]);
      candidates[0] = { key: target ? uncheckedRecordKey('file', target) : parsed.key, label: null };
    }
    const records = await store.getMany(candidates.map((c) => c.key));
    // The most specific record decides: the value itself, then broader expressions or the network.
    const i = records.findIndex((r) => r !== null);
    const record: ReputationRecord | null = i >= 0 ? records[i]! : null;
    return {
      kind, value: parsed.value, verdict: record?.verdict ?? 'unknown', score: record?.score ?? null, confidence: record?.confidence ?? null,
      categories: record?.categories ?? [], first_seen: record ? new Date(record.firstSeen).toISOString() : null, last_seen: record ? new Date(record.lastSeen).toISOString() : null,
      reasons: (record?.reasons ?? []).filter((r) => r.rule !== 'override').map((r) => ({ rule: r.rule, weight: r.weight })),
      matched: i > 0 ? candidates[i]!.label : null, ttl: record?.ttl ?? 60,
    };
  }

  app.get('/v1/partner/reputation/:kind/:value', {
    config: { scope: 'partner' },
    schema: { tags: ['partner'], summary: 'Reputation of one indicator for a partner key (daily quota applies).', params: IndicatorParams, response: { 200: Answer, ...problems } },
  }, async (request) => lookup(request.params.kind as IndicatorKind, request.params.value, 'params.value'));

  app.post('/v1/partner/reputation/batch', {
    config: { scope: 'partner' },
    schema: {
      tags: ['partner'], summary: 'Up to 100 lookups in one request, answered in order.',
      body: Type.Object({ indicators: Type.Array(IndicatorParams, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ results: Type.Array(Answer) }), ...problems },
    },
  }, async (request) => {
    const results = [];
    for (const [n, i] of request.body.indicators.entries()) results.push(await lookup(i.kind as IndicatorKind, i.value, `body.indicators[${n}].value`));
    return { results };
  });
}
