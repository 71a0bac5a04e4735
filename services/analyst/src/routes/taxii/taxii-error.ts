import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { ReputeError, validationProblems } from '@repute/http';

export const TAXII_TYPE = 'application/taxii+json;version=2.1';

/** The TAXII 2.1 error resource (§3.6.1): what every error under /taxii2/ answers with. */
export interface TaxiiErrorBody {
  title: string;
  description?: string;
  error_id?: string;
  error_code?: string;
  http_status: string;
  details?: Record<string, unknown>;
}

export const TaxiiError = Type.Object({
  title: Type.String(),
  description: Type.Optional(Type.String()),
  error_id: Type.Optional(Type.String({ description: 'The request id, as in the server log.' })),
  error_code: Type.Optional(Type.String({ description: 'The stable REPUTE_* code.' })),
  http_status: Type.String(),
  details: Type.Optional(Type.Object({}, { additionalProperties: true })),
}, { additionalProperties: true, description: 'TAXII 2.1 error resource (application/taxii+json;version=2.1).' });

/** The error answers every TAXII route may give. */
export const taxiiErrors = { 400: TaxiiError, 401: TaxiiError, 403: TaxiiError, 404: TaxiiError, 406: TaxiiError, 429: TaxiiError, 503: TaxiiError };

function taxiiError(error: FastifyError | ReputeError | Error, id: string): { body: TaxiiErrorBody; headers: Record<string, string> } {
  if (error instanceof ReputeError) {
    const details = Object.keys(error.extra).length > 0 ? { details: error.extra } : {};
    return {
      body: { title: error.title, ...(error.detail === undefined ? {} : { description: error.detail }), error_id: id, error_code: error.code, http_status: String(error.status), ...details },
      headers: error.headers,
    };
  }
  const fastifyError = error as FastifyError;
  if (Array.isArray(fastifyError.validation)) {
    // The same field names and reasons as the problem documents of the rest of the API.
    const errors = validationProblems(fastifyError);
    return {
      body: { title: 'Request validation failed', description: errors.map((e) => `${e.field} ${e.reason}`).join('; '), error_id: id, error_code: 'REPUTE_HTTP_VALIDATION', http_status: '400', details: { errors } },
      headers: {},
    };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { body: { title: STATUS_CODES[status] ?? 'Bad request', description: fastifyError.message, error_id: id, ...(fastifyError.code === undefined ? {} : { error_code: fastifyError.code }), http_status: String(status) }, headers: {} };
  }
  // 5xx keep their internals in the log, as the problem handler does.
  const unavailable = status === 503;
  return {
    body: { title: unavailable ? 'Service unavailable' : 'Internal error', description: `see the server log for request ${id}`, error_id: id, error_code: unavailable ? 'REPUTE_HTTP_UNAVAILABLE' : 'REPUTE_HTTP_INTERNAL', http_status: unavailable ? '503' : '500' },
    headers: {},
  };
}

/** Sends a TAXII error resource, as bytes for the same reason as every TAXII body (see index.ts). */
export function sendTaxiiError(reply: FastifyReply, status: number, body: TaxiiErrorBody, headers: Record<string, string> = {}): FastifyReply {
  for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
  return reply.code(status).header('content-type', TAXII_TYPE).send(Buffer.from(JSON.stringify(body)));
}

/**
 * The TAXII scope's error handler: errors raised on TAXII routes (by their handlers or by the
 * shared auth hook, which runs in their scope) leave as TAXII error resources, since TAXII
 * clients read `application/taxii+json` and not RFC 9457 problems.
 */
export function taxiiErrorHandler(error: FastifyError | ReputeError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { body, headers } = taxiiError(error, String(request.id));
  const status = Number(body.http_status);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: body.error_code, status }, 'request rejected');
  return sendTaxiiError(reply, status, body, headers);
}
