import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { decodeRecord, INDICATOR_SYNTAX, indicatorSyntaxProblem, LOOKUP_KINDS, recordForTenant, syntaxSchema, uncheckedRecordKey } from '@repute/core';
import { ReputeError } from '@repute/http';
import { IndicatorSyntaxError, invalidReason, prepareBatch } from '../../lookup/batch-items.ts';
import { prepareLookup, type LookupKind, type PreparedLookup } from '../../lookup/candidates.ts';
import { fileDigest } from '../../lookup/file-digest.ts';
import type { LookupResult } from '../../lookup/lookup-service.ts';
import { andThen, type MaybePromise } from '../../lookup/maybe-async.ts';
import { SliceScheduler, type Slicer } from '../../lookup/slice-scheduler.ts';
import type { LookupTimer } from '../../plugins/metrics.ts';
import { answerJson, unknownFileJson } from './answer-json.ts';
import { batchItemsJson, type BatchItemsJson } from './batch-json.ts';
import { batchShapeValidator, plainJsonParser, stringFieldsValidator } from './light-validation.ts';
import { Answer, BatchAnswer, BatchBody, PrefixAnswer, Problem } from './schemas.ts';
import { cacheControl } from './shape.ts';

const problems = { 400: Problem, 401: Problem, 403: Problem, 429: Problem };
const JSON_TYPE = 'application/json; charset=utf-8';

function invalidIndicator(kind: string, value: string, field: string, err: unknown): ReputeError {
  const { code, reason } = invalidReason(kind, err);
  return new ReputeError({ code, status: 400, title: 'Invalid indicator', detail: `${field} ${reason}`, extra: { item: { kind, value: value.slice(0, 200) }, reason, errors: [{ field, reason }] } });
}

// A batch hands the event loop back after about half a millisecond of work (a 1000-hash batch
// takes about 1.5 ms of CPU in all), so a single lookup that arrives behind batches waits for
// one slice. The clock is read after each chunk of 32 items: negligible for hashes (about a
// microsecond each), and a chunk of URLs (up to 30 digests each) stays near a millisecond.
const BATCH_SLICES = { sliceMs: 0.5, chunkItems: 32 };

export interface ReputationRoutesOptions {
  kAnonymity: number;
  /** Runs the batches' per-item work in slices; by default one scheduler for these routes. */
  batchSlices?: SliceScheduler;
}

/**
 * The lookup API: single lookups per kind, the batch, and hash-prefix search.
 *
 * Handlers are plain functions that send JSON text built by answer-json.ts (the declared
 * response schemas document it), and answer synchronously unless Redis must be read: most
 * lookups are filter negatives or cache hits, and at tens of thousands of requests per second
 * a promise, a schema serialiser pass or a metrics label lookup per request shows.
 */
export default async function reputationRoutes(fastify: FastifyInstance, opts: ReputationRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const metrics = fastify.edgeMetrics;
  const counts = metrics.counts;
  const lookup = fastify.edgeLookup;
  const filters = fastify.edgeFilters;
  const updates = fastify.edgeUpdates;
  const k = opts.kAnonymity;
  const scheduler = opts.batchSlices ?? new SliceScheduler(BATCH_SLICES);
  // One slicer per request with a body, from the parse of its body to its answer.
  const slicers = new WeakMap<FastifyRequest, Slicer>();
  const slicerOf = (request: FastifyRequest): Slicer => {
    let slicer = slicers.get(request);
    if (slicer === undefined) slicers.set(request, (slicer = scheduler.slicer()));
    return slicer;
  };
  plainJsonParser(fastify, slicerOf);

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
    // The commonest request, an unknown file hash, is answered from the digest bytes alone. A
    // bare hex MD5, SHA-1 or SHA-256 is the whole file syntax, so once its digest decoded the
    // syntax check (a regular expression costing more than the probe) has nothing to add.
    const hexHash = kind === 'file' && fileDigest(raw, digest);
    if (hexHash && !lookup.hasOverlay(tenant) && !filters.mightHave('file', digest)) {
      counts.filterNegatives['file']!++;
      unknownFileTimer.observe((performance.now() - started) / 1000);
      void reply.header('cache-control', unknownCacheControl).header('content-type', JSON_TYPE)
        .send(unknownFileJson(raw.toLowerCase(), unknownTtl, updates.asOfJson()));
      return;
    }
    // The kind's API syntax, the pattern the document publishes; refused as a batch item is.
    const problem = hexHash ? null : indicatorSyntaxProblem(kind, raw);
    if (problem !== null) {
      timer(kind, 'invalid').observe((performance.now() - started) / 1000);
      throw invalidIndicator(kind, raw, field, new IndicatorSyntaxError(problem));
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

  function sendBatch(reply: FastifyReply, answer: BatchItemsJson, started: number): void {
    const { degraded, ttl } = answer;
    if (degraded) counts.degradedAnswers++;
    timer('batch', degraded ? 'degraded' : 'answered').observe((performance.now() - started) / 1000);
    void reply.header('cache-control', cacheHeader(ttl, degraded)).header('content-type', JSON_TYPE)
      .send(`{"as_of":${updates.asOfJson()},"degraded":${degraded},"ttl":${ttl},"counts":{"found":${answer.found},"unknown":${answer.unknown},"invalid":${answer.invalid}},"results":[${answer.items}]}`);
  }

  /** Prepares, answers and writes a batch, each step in slices that share the event loop. */
  function answerBatch(items: readonly unknown[], tenant: string | undefined, slices: Slicer): MaybePromise<BatchItemsJson> {
    return andThen(prepareBatch(items, filters, !lookup.hasOverlay(tenant), slices), (batch) => {
      for (const kind in batch.negativesByKind) {
        const n = batch.negativesByKind[kind]!;
        if (n > 0) lookup.countNegatives(kind, n);
      }
      return andThen(lookup.answer(batch.prepared, tenant, slices), (results) => batchItemsJson(batch, results, lookup.unknown, k, slices));
    });
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
    const answer = answerBatch(request.body.indicators as unknown[], request.principal?.tenant, slicerOf(request));
    if (answer instanceof Promise) {
      answer.then((a) => sendBatch(reply, a, started), (err: unknown) => void (reply as FastifyReply).send(err as Error));
      return;
    }
    sendBatch(reply, answer, started);
  });

  app.get('/v1/reputation/prefix/:kind/:prefix', {
    config,
    schema: {
      summary: 'Full digests (and verdicts) of the records under a 4 to 32 byte hash prefix',
      params: Type.Object({
        kind: Type.Union(LOOKUP_KINDS.map((k) => Type.Literal(k))),
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
      raw = await fastify.edgeStore.getManyRaw(digests.slice(0, limit).map((d) => uncheckedRecordKey(kind, d)));
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
