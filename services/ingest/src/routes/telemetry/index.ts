import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { isBusError } from '@repute/bus';
import { ProblemSchema } from '@repute/http';
import { TelemetryEventV1Schema } from '@repute/telemetry';
import { ReceivedBody, type BodyFormat } from '../../ingest/decode-body.ts';
import { createSorter } from '../../ingest/sorter.ts';
import { busUnavailable, emptyBody } from '../../ingest/errors.ts';
import { ingestMetrics } from '../../ingest/metrics.ts';
import type { IngestConfig } from '../../config.ts';

export interface TelemetryRouteOptions {
  config: IngestConfig;
}

const AcceptedSchema = Type.Object({
  accepted: Type.Integer({ description: 'Events published to the bus.' }),
  rejected: Type.Integer({ description: 'Events refused; see rejections.' }),
  acceptedIds: Type.Array(Type.String()),
  rejections: Type.Array(
    Type.Object({
      index: Type.Integer({ description: 'Position of the event in the request (line number - 1 for NDJSON, blank lines skipped).' }),
      id: Type.Optional(Type.String()),
      reason: Type.String(),
      field: Type.String(),
      detail: Type.String(),
    }),
  ),
});


/** The refusals this route gives, each a problem document. */
const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 429: ProblemSchema, 503: ProblemSchema };

const FORMATS: Record<string, BodyFormat> = { 'application/json': 'json', 'application/x-ndjson': 'ndjson' };

/**
 * One item of the body: a telemetry event v1 (the schema of @repute/telemetry, published so
 * that a sensor's author finds it in the document), or anything else. An item is judged on its
 * own, so one that is not a valid event is a rejection in the 202 and does not fail the
 * request: the document says so with the second branch.
 */
const EventItem = Type.Union([TelemetryEventV1Schema, Type.Unknown()], {
  description: 'A telemetry event (schema v1). An item that is not a valid event does not fail the request: it is listed in `rejections` with its reason and field.',
});

/**
 * The body once decoded: one or more items. For NDJSON the items are its lines, as OpenAPI 3.2
 * would say with `itemSchema`; 3.0 has no other way to say it.
 */
function eventsBody(config: IngestConfig) {
  return Type.Array(EventItem, {
    minItems: 1,
    description: `Telemetry events: a JSON array, or NDJSON (one event a line, blank lines skipped); gzip or deflate with Content-Encoding. More than ${config.INGEST_MAX_EVENTS} events or ${config.INGEST_MAX_BODY_BYTES} bytes (${config.INGEST_MAX_DECOMPRESSED_BYTES} decompressed) is a 413.`,
  });
}

/**
 * POST /v1/telemetry. Delivery contract (at least once): the 202 is sent only after the bus
 * acknowledged every accepted event. A 503 means none of the request counts as accepted, yet
 * some of it may already be on the bus; the client resends the same events with the same ids,
 * and consumers deduplicate by event id.
 */
export default async function telemetryRoutes(fastify: FastifyInstance, options: TelemetryRouteOptions): Promise<void> {
  const { config } = options;
  const metrics = ingestMetrics(fastify.metrics);
  const limits = { maxDecompressedBytes: config.INGEST_MAX_DECOMPRESSED_BYTES, maxEvents: config.INGEST_MAX_EVENTS };
  const topic = config.TELEMETRY_TOPIC;
  const validation = { maxFutureSkewMs: config.INGEST_MAX_FUTURE_SKEW_MS, maxAgeMs: config.INGEST_MAX_EVENT_AGE_MS };
  const events = eventsBody(config);

  // The body is read and each event validated by validateAndCanonicalize, in the sorter: the
  // compiled validator of the documented body would check every event against the schema a
  // second time, for an answer that cannot differ. What reaches validation is the body as
  // received.
  const received = Object.assign((body: unknown): boolean => body instanceof ReceivedBody, {
    errors: [{ instancePath: '', schemaPath: '#', keyword: 'type', message: 'must be a JSON array or NDJSON of events', params: {} }],
  });
  const sorter = createSorter(config.INGEST_SORT_THREADS, fastify.log);
  fastify.addHook('onClose', async () => { await sorter.close(); });

  // Encapsulated: only this plugin's routes read bodies this way.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(Object.keys(FORMATS), { parseAs: 'buffer', bodyLimit: config.INGEST_MAX_BODY_BYTES }, (request: FastifyRequest, body: Buffer, done) => {
    const mime = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    done(null, new ReceivedBody(body, FORMATS[mime] ?? 'json', request.headers['content-encoding']));
  });

  fastify.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/telemetry',
    {
      bodyLimit: config.INGEST_MAX_BODY_BYTES,
      config: { scope: 'ingest' },
      validatorCompiler: () => received,
      schema: {
        summary: 'Send telemetry events (JSON array or NDJSON, optionally gzip).',
        // By content type, so the document lists both formats and marks the body required.
        body: { content: Object.fromEntries(Object.keys(FORMATS).map((type) => [type, { schema: events }])) },
        response: { 202: AcceptedSchema, ...problems },
      },
    },
    async (request, reply) => {
      // Without a body (and a content type) no parser ran.
      if (request.body === undefined || request.body === null) throw emptyBody();
      const body = request.body as ReceivedBody;
      // The tenant and trust come from the API key; an event body can name neither.
      const principal = request.principal;
      const { accepted, rejectedReasons, answer, messages } = await sorter.sort({
        bytes: body.bytes, format: body.format, encoding: body.encoding, limits,
        tenant: principal?.tenant ?? 'default', receivedAt: Date.now(), validation, trusted: principal?.trusted === true,
      });
      if (messages.length > 0) {
        try {
          await fastify.ingest.bus.publish(topic, messages);
        } catch (err) {
          metrics.requests.inc({ outcome: 'bus_unavailable' });
          if (isBusError(err)) throw busUnavailable(config.INGEST_RETRY_AFTER_SECONDS, err);
          throw err;
        }
      }
      metrics.requests.inc({ outcome: 'accepted' });
      if (accepted > 0) metrics.events.inc({ outcome: 'accepted', reason: 'none' }, accepted);
      for (const reason of rejectedReasons) metrics.events.inc({ outcome: 'rejected', reason });
      // Written by the sorter (the documented 202 schema, in its order): 1,000 ids serialised
      // again here would cost the event loop what the sorting thread already spent.
      return (reply as FastifyReply).code(202).type('application/json; charset=utf-8').send(answer);
    },
  );
}
