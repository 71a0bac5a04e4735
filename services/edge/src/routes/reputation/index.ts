import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { decodeRecord, INDICATOR_SYNTAX, indicatorSyntaxProblem, recordForTenant, syntaxSchema } from '@repute/core';
import { ReputeError } from '@repute/http';
import { IndicatorSyntaxError, invalidReason, prepareBatch, type PreparedBatch } from '../../lookup/batch-items.ts';
import { prepareLookup, type LookupKind, type PreparedLookup } from '../../lookup/candidates.ts';
import { fileDigest } from '../../lookup/file-digest.ts';
import type { LookupResult } from '../../lookup/lookup-service.ts';
import type { LookupTimer } from '../../plugins/metrics.ts';
import { answerJson, foundItemJson, invalidItemJson, UNKNOWN_ITEM, unknownFileJson } from './answer-json.ts';
import { batchShapeValidator, plainJsonParser, stringFieldsValidator } from './light-validation.ts';
import { Answer, BatchAnswer, BatchBody, PrefixAnswer, Problem } from './schemas.ts';
import { cacheControl } from './shape.ts';

const problems = { 400: Problem, 401: Problem, 403: Problem, 429: Problem };
const JSON_TYPE = 'application/json; charset=utf-8';

function invalidIndicator(kind: string, value: string, field: string, err: unknown): ReputeError {
  const { code, reason } = invalidReason(kind, err);
  return new ReputeError({ code, status: 400, title: 'Invalid indicator', detail: `${field} ${reason}`, extra: { item: { kind, value: value.slice(0, 200) }, reason, errors: [{ field, reason }] } });
}

/**
 * The lookup API: single lookups per kind, the batch, and hash-prefix search.
 *
 * Handlers are plain functions that send JSON text built by answer-json.ts (the declared
 * response schemas document it), and answer synchronously unless Redis must be read: most
 * lookups are filter negatives or cache hits, and at tens of thousands of requests per second
 * a promise, a schema serialiser pass or a metrics label lookup per request shows.
 */
export default async function reputationRoutes(fastify: FastifyInstance, opts: { kAnonymity: number }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const metrics = fastify.edgeMetrics;
  const counts = metrics.counts;
  const lookup = fastify.edgeLookup;
  const filters = fastify.edgeFilters;
  const updates = fastify.edgeUpdates;
  const k = opts.kAnonymity;
  plainJsonParser(fastify);

  const timers = new Map<string, Map<string, LookupTimer>>();
  const timer = (kind: string, outcome: string): LookupTimer => {
    let byOutcome = timers.get(kind);
    if (byOutcome === undefined) timers.set(kind, (byOutcome = new Map()));
    let t = byOutcome.get(outcome);
    if (t === undefined) byOutcome.set(outcome, (t = metrics.lookupTimer(kind, outcome)));
    return t;
  };
  const unknownFileTimer = timer('file', 'unknown');
  const cacheControls = new Map<number, string>();
  const cacheHeader = (ttl: number, degraded: boolean): string => {
    if (degraded) return cacheControl(ttl, true);
    let header = cacheControls.get(ttl);
    if (header === undefined) {
      header = cacheControl(ttl, false);
      if (cacheControls.size < 1000) cacheControls.set(ttl, header);
    }
    return header;
  };
  const unknownTtl = String(lookup.unknown.ttl);
  const unknownCacheControl = cacheControl(lookup.unknown.ttl, false);
  // Scratch space for the file fast path: handlers run one at a time.
  const digest = Buffer.allocUnsafe(32);

  function sendAnswer(reply: FastifyReply, prepared: PreparedLookup, result: LookupResult, started: number): void {
    if (result.degraded) counts.degradedAnswers++;
    timer(prepared.kind, result.degraded ? 'degraded' : result.verdict).observe((performance.now() - started) / 1000);
    void reply.header('cache-control', cacheHeader(result.ttl, result.degraded)).header('content-type', JSON_TYPE)
      .send(answerJson(prepared.kind, prepared.value, result, updates.asOfJson(), k));
  }

  function single(kind: LookupKind, raw: string, field: string, request: FastifyRequest, reply: FastifyReply): void {
    const started = performance.now();
    const tenant = request.principal?.tenant;
    // The kind's API syntax, the pattern the document publishes; refused as a batch item is.
    const problem = indicatorSyntaxProblem(kind, raw);
    if (problem !== null) {
      timer(kind, 'invalid').observe((performance.now() - started) / 1000);
      throw invalidIndicator(kind, raw, field, new IndicatorSyntaxError(problem));
    }
    // The commonest request, an unknown file hash, is answered from the digest bytes alone.
    if (kind === 'file' && fileDigest(raw, digest) && !lookup.hasOverlay(tenant) && !filters.mightHave('file', digest)) {
      counts.filterNegatives['file']!++;
      unknownFileTimer.observe((performance.now() - started) / 1000);
      void reply.header('cache-control', unknownCacheControl).header('content-type', JSON_TYPE)
        .send(unknownFileJson(raw.toLowerCase(), unknownTtl, updates.asOfJson()));
      return;
    }
    let prepared: PreparedLookup;
    try {
      prepared = prepareLookup(kind, raw);
    } catch (err) {
      timer(kind, 'invalid').observe((performance.now() - started) / 1000);
      throw invalidIndicator(kind, raw, field, err);
    }
    const result = lookup.answerOne(prepared, tenant);
    if (result instanceof Promise) {
      result.then((r) => sendAnswer(reply, prepared, r, started), (err: unknown) => void reply.send(err as Error));
      return;
    }
    sendAnswer(reply, prepared, result, started);
  }

  function sendBatch(reply: FastifyReply, batch: PreparedBatch, results: readonly (LookupResult | null)[], started: number): void {
    const n = results.length;
    const parts: string[] = new Array(n);
    let degraded = false;
    let ttl = Number.MAX_SAFE_INTEGER;
    let found = 0;
    let unknown = 0;
    let invalid = 0;
    for (let i = 0; i < n; i++) {
      const bad = batch.invalid[i];
      if (bad != null) {
        invalid++;
        parts[i] = invalidItemJson(bad.kind, bad.reason, bad.code);
        continue;
      }
      // Items the filters ruled out never reached the lookup service.
      const r = results[i] ?? lookup.unknown;
      if (r.degraded) degraded = true;
      if (r.ttl < ttl) ttl = r.ttl;
      if (r.record === null && r.overlay === null) {
        unknown++;
        parts[i] = UNKNOWN_ITEM;
        continue;
      }
      found++;
      const p = batch.prepared[i]!;
      parts[i] = foundItemJson(p.kind, p.value, r, k);
    }
    if (ttl === Number.MAX_SAFE_INTEGER) ttl = 0;
    if (degraded) counts.degradedAnswers++;
    timer('batch', degraded ? 'degraded' : 'answered').observe((performance.now() - started) / 1000);
    void reply.header('cache-control', cacheHeader(ttl, degraded)).header('content-type', JSON_TYPE)
      .send(`{"as_of":${updates.asOfJson()},"degraded":${degraded},"ttl":${ttl},"counts":{"found":${found},"unknown":${unknown},"invalid":${invalid}},"results":[${parts.join(',')}]}`);
  }

  const config = { scope: 'lookup' as const };
  const ok = { 200: Answer, ...problems };
  // Params and query strings of the single lookups are strings of the kind's API syntax (the
  // patterns the document publishes): checked by hand.
  const validatorCompiler = ({ schema }: { schema: unknown }): ReturnType<typeof stringFieldsValidator> =>
    stringFieldsValidator(schema as Parameters<typeof stringFieldsValidator>[0]);

  app.get('/v1/reputation/file/:hash', {
    config,
    validatorCompiler,
    schema: { summary: 'File reputation by MD5, SHA-1 or SHA-256', params: Type.Object({ hash: Type.Unsafe<string>(syntaxSchema(INDICATOR_SYNTAX.file)) }), response: ok },
  }, (request, reply) => single('file', request.params.hash, 'params.hash', request, reply));

  app.get('/v1/reputation/url', {
    config,
    validatorCompiler,
    schema: { summary: 'URL reputation over all its Safe Browsing expressions and its host', querystring: Type.Object({ url: Type.Unsafe<string>(syntaxSchema(INDICATOR_SYNTAX.url)) }), response: ok },
  }, (request, reply) => single('url', request.query.url, 'querystring.url', request, reply));

  app.get('/v1/reputation/domain/:name', {
    config,
    validatorCompiler,
    schema: { summary: 'Domain reputation, also from its parents up to the registrable domain', params: Type.Object({ name: Type.Unsafe<string>(syntaxSchema(INDICATOR_SYNTAX.domain)) }), response: ok },
  }, (request, reply) => single('domain', request.params.name, 'params.name', request, reply));

  app.get('/v1/reputation/ip/:address', {
    config,
    validatorCompiler,
    schema: { summary: 'IP reputation, also from its /24 or /64 network', params: Type.Object({ address: Type.Unsafe<string>(syntaxSchema(INDICATOR_SYNTAX.ip)) }), response: ok },
  }, (request, reply) => single('ip', request.params.address, 'params.address', request, reply));

  const batchShape = batchShapeValidator();
  app.post('/v1/reputation/batch', {
    config,
    schema: { summary: 'Up to 1000 mixed indicators, answered in order in one Redis round trip', body: BatchBody, response: { 200: BatchAnswer, ...problems } },
    // Only the top level is validated up front; items are checked while they are prepared.
    validatorCompiler: () => batchShape,
  }, (request, reply) => {
    const started = performance.now();
    const tenant = request.principal?.tenant;
    const batch = prepareBatch(request.body.indicators as unknown[], filters, !lookup.hasOverlay(tenant));
    for (const kind in batch.negativesByKind) {
      const n = batch.negativesByKind[kind]!;
      if (n > 0) lookup.countNegatives(kind, n);
    }
    const results = lookup.answer(batch.prepared, tenant);
    if (results instanceof Promise) {
      results.then((r) => sendBatch(reply, batch, r, started), (err: unknown) => void (reply as FastifyReply).send(err as Error));
      return;
    }
    sendBatch(reply, batch, results, started);
  });

  app.get('/v1/reputation/prefix/:kind/:prefix', {
    config,
    schema: {
      summary: 'Full digests (and verdicts) of the records under a 4 to 32 byte hash prefix',
      params: Type.Object({
        kind: Type.Union([Type.Literal('file'), Type.Literal('url'), Type.Literal('domain'), Type.Literal('ip')]),
        prefix: Type.String({ pattern: '^(?:[0-9a-fA-F]{2}){4,32}$', description: '4 to 32 bytes as hex (whole bytes: an even number of digits).' }),
      }),
      response: { 200: PrefixAnswer, ...problems, 503: Problem },
    },
  }, async (request, reply) => {
    const { kind, prefix } = request.params;
    const tenant = request.principal?.tenant;
    if (prefix.length % 2 !== 0) {
      throw new ReputeError({ code: 'REPUTE_EDGE_BAD_PREFIX', status: 400, title: 'Invalid prefix', detail: 'the prefix must be whole bytes (an even number of hex digits)' });
    }
    const limit = 1000;
    let digests: string[];
    let raw: (string | null)[];
    try {
      counts.redisRoundTrips++;
      digests = await fastify.edgeStore.digestsWithPrefix(kind, prefix, limit + 1);
      counts.redisRoundTrips++;
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
        matches.push({ digest, verdict: recordForTenant(decodeRecord(text), tenant).verdict });
      } catch {
        // A record that does not parse is left out rather than failing the search.
      }
    });
    void reply.header('cache-control', 'private, max-age=60');
    return { kind, prefix: prefix.toLowerCase(), truncated: digests.length > limit, matches, as_of: fastify.edgeUpdates.asOf() };
  });
}
