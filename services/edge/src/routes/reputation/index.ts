import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { decodeRecord, isIndicatorError, isIndicatorKind } from '@repute/core';
import { ReputeError } from '@repute/http';
import { prepareLookup, type LookupKind, type PreparedLookup } from '../../lookup/candidates.ts';
import { Answer, BatchAnswer, BatchBody, BatchItem, PrefixAnswer, Problem } from './schemas.ts';
import { answerFields, cacheControl } from './shape.ts';

const LOOKUP_KINDS = new Set<string>(['file', 'url', 'domain', 'ip']);
const problems = { 400: Problem, 401: Problem, 403: Problem, 429: Problem };

function invalidIndicator(kind: string, value: string, err: unknown): ReputeError {
  const code = isIndicatorError(err) ? err.code : 'REPUTE_INDICATOR_INVALID';
  const reason = isIndicatorError(err) ? err.message : 'not a valid indicator';
  return new ReputeError({ code, status: 400, title: 'Invalid indicator', detail: reason, extra: { item: { kind, value: value.slice(0, 200) }, reason } });
}

/** The lookup API: single lookups per kind, the batch, and hash-prefix search. */
export default async function reputationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const metrics = fastify.edgeMetrics;

  async function single(kind: LookupKind, raw: string, request: FastifyRequest, reply: FastifyReply): Promise<Static<typeof Answer>> {
    const started = performance.now();
    let prepared: PreparedLookup;
    try {
      prepared = prepareLookup(kind, raw);
    } catch (err) {
      metrics.observeLookup(kind, 'invalid', (performance.now() - started) / 1000);
      throw invalidIndicator(kind, raw, err);
    }
    const [result] = await fastify.edgeLookup.lookup([prepared], request.principal?.tenant);
    const r = result!;
    if (r.degraded) metrics.degradedAnswers.inc();
    metrics.observeLookup(kind, r.degraded ? 'degraded' : r.verdict, (performance.now() - started) / 1000);
    void reply.header('cache-control', cacheControl(r.ttl, r.degraded));
    return { kind, value: prepared.value, ...answerFields(r), as_of: fastify.edgeUpdates.asOf(), degraded: r.degraded };
  }

  const config = { scope: 'lookup' as const };
  const ok = { 200: Answer, ...problems };

  app.get('/v1/reputation/file/:hash', {
    config,
    schema: { summary: 'File reputation by MD5, SHA-1 or SHA-256', params: Type.Object({ hash: Type.String({ maxLength: 256 }) }), response: ok },
  }, async (request, reply) => await single('file', request.params.hash, request, reply));

  app.get('/v1/reputation/url', {
    config,
    schema: { summary: 'URL reputation over all its Safe Browsing expressions and its host', querystring: Type.Object({ url: Type.String({ minLength: 1, maxLength: 16384 }) }), response: ok },
  }, async (request, reply) => await single('url', request.query.url, request, reply));

  app.get('/v1/reputation/domain/:name', {
    config,
    schema: { summary: 'Domain reputation, also from its parents up to the registrable domain', params: Type.Object({ name: Type.String({ maxLength: 1024 }) }), response: ok },
  }, async (request, reply) => await single('domain', request.params.name, request, reply));

  app.get('/v1/reputation/ip/:address', {
    config,
    schema: { summary: 'IP reputation, also from its /24 or /64 network', params: Type.Object({ address: Type.String({ maxLength: 256 }) }), response: ok },
  }, async (request, reply) => await single('ip', request.params.address, request, reply));

  app.post('/v1/reputation/batch', {
    config,
    schema: { summary: 'Up to 1000 mixed indicators, answered in order in one Redis round trip', body: BatchBody, response: { 200: BatchAnswer, ...problems } },
  }, async (request, reply) => {
    const started = performance.now();
    const items = request.body.indicators;
    const prepared: (PreparedLookup | null)[] = new Array(items.length);
    const invalid: (ReputeError | null)[] = new Array(items.length).fill(null);
    for (let i = 0; i < items.length; i++) {
      const { kind, value } = items[i]!;
      if (!LOOKUP_KINDS.has(kind)) {
        prepared[i] = null;
        invalid[i] = new ReputeError({ code: isIndicatorKind(kind) ? 'REPUTE_EDGE_KIND_NOT_SERVED' : 'REPUTE_INDICATOR_UNKNOWN_KIND', status: 400, title: 'Invalid indicator', detail: `kind must be file, url, domain or ip, got ${JSON.stringify(kind.slice(0, 32))}` });
        continue;
      }
      try {
        prepared[i] = prepareLookup(kind as LookupKind, value);
      } catch (err) {
        prepared[i] = null;
        invalid[i] = invalidIndicator(kind, value, err);
      }
    }
    const results = await fastify.edgeLookup.lookup(prepared, request.principal?.tenant);
    let degraded = false;
    let ttl = Number.MAX_SAFE_INTEGER;
    const counts = { found: 0, unknown: 0, invalid: 0 };
    const out: Static<typeof BatchItem>[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const r = results[i];
      if (r == null) {
        counts.invalid++;
        const e = invalid[i]!;
        out[i] = { status: 'invalid', kind: items[i]!.kind, reason: e.detail ?? e.title, code: e.code };
        continue;
      }
      degraded ||= r.degraded;
      ttl = Math.min(ttl, r.ttl);
      if (r.record === null && r.overlay === null) {
        counts.unknown++;
        out[i] = { status: 'unknown' };
        continue;
      }
      counts.found++;
      out[i] = { status: 'found', kind: items[i]!.kind, value: prepared[i]!.value, ...answerFields(r) };
    }
    if (ttl === Number.MAX_SAFE_INTEGER) ttl = 0;
    if (degraded) metrics.degradedAnswers.inc();
    metrics.observeLookup('batch', degraded ? 'degraded' : 'answered', (performance.now() - started) / 1000);
    void reply.header('cache-control', cacheControl(ttl, degraded));
    return { as_of: fastify.edgeUpdates.asOf(), degraded, ttl, counts, results: out };
  });

  app.get('/v1/reputation/prefix/:kind/:prefix', {
    config,
    schema: {
      summary: 'Full digests (and verdicts) of the records under a 4 to 32 byte hash prefix',
      params: Type.Object({
        kind: Type.Union([Type.Literal('file'), Type.Literal('url'), Type.Literal('domain'), Type.Literal('ip')]),
        prefix: Type.String({ pattern: '^[0-9a-fA-F]{8,64}$', description: '4 to 32 bytes as hex.' }),
      }),
      response: { 200: PrefixAnswer, ...problems, 503: Problem },
    },
  }, async (request, reply) => {
    const { kind, prefix } = request.params;
    if (prefix.length % 2 !== 0) {
      throw new ReputeError({ code: 'REPUTE_EDGE_BAD_PREFIX', status: 400, title: 'Invalid prefix', detail: 'the prefix must be whole bytes (an even number of hex digits)' });
    }
    const limit = 1000;
    let digests: string[];
    let raw: (string | null)[];
    try {
      metrics.redisRoundTrips.inc();
      digests = await fastify.edgeStore.digestsWithPrefix(kind, prefix, limit + 1);
      metrics.redisRoundTrips.inc();
      raw = await fastify.edgeStore.getManyRaw(digests.slice(0, limit).map((d) => `rep:${kind}:${d}`));
    } catch (err) {
      metrics.errors.inc({ area: 'redis' });
      throw new ReputeError({ code: 'REPUTE_EDGE_UNAVAILABLE', status: 503, title: 'Prefix search unavailable', detail: 'the reputation store cannot be reached; retry shortly', retriable: true, cause: err, headers: { 'retry-after': '1' } });
    }
    const matches: { digest: string; verdict: string }[] = [];
    digests.slice(0, limit).forEach((digest, i) => {
      const text = raw[i];
      if (text == null) return;
      try {
        matches.push({ digest, verdict: decodeRecord(text).verdict });
      } catch {
        // A record that does not parse is left out rather than failing the search.
      }
    });
    void reply.header('cache-control', 'private, max-age=60');
    return { kind, prefix: prefix.toLowerCase(), truncated: digests.length > limit, matches, as_of: fastify.edgeUpdates.asOf() };
  });
}
