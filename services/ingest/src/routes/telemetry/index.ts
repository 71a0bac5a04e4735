import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { isBusError } from '@repute/bus';
import { TELEMETRY_TOPIC } from '@repute/telemetry';
import { decodeBody, type BodyFormat } from '../../ingest/decode-body.ts';
import { sortEvents } from '../../ingest/accept-events.ts';
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

const FORMATS: Record<string, BodyFormat> = { 'application/json': 'json', 'application/x-ndjson': 'ndjson' };

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

  // Encapsulated: only this plugin's routes read bodies this way.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(Object.keys(FORMATS), { parseAs: 'buffer', bodyLimit: config.INGEST_MAX_BODY_BYTES }, async (request: FastifyRequest, body: Buffer) => {
    const mime = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    return await decodeBody(body, FORMATS[mime] ?? 'json', request.headers['content-encoding'], limits);
  });

  fastify.withTypeProvider<TypeBoxTypeProvider>().post(
    '/v1/telemetry',
    {
      bodyLimit: config.INGEST_MAX_BODY_BYTES,
      config: { scope: 'ingest' },
      schema: {
        summary: 'Send telemetry events (JSON array or NDJSON, optionally gzip).',
        response: { 202: AcceptedSchema },
      },
    },
    async (request, reply) => {
      // Without a body (and a content type) no parser ran.
      if (request.body === undefined || request.body === null) throw emptyBody();
      const raw = request.body as unknown[];
      // The tenant and trust come from the API key; an event body can name neither.
      const principal = request.principal;
      const tenant = principal?.tenant ?? 'default';
      const { acceptedIds, rejections, messages } = sortEvents(raw, tenant, Date.now(), validation, principal?.trusted === true);
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
      if (acceptedIds.length > 0) metrics.events.inc({ outcome: 'accepted', reason: 'none' }, acceptedIds.length);
      for (const r of rejections) metrics.events.inc({ outcome: 'rejected', reason: r.reason });
      return reply.code(202).send({ accepted: acceptedIds.length, rejected: rejections.length, acceptedIds, rejections });
    },
  );
}
