import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { problemType, ReputeError } from './repute-error.ts';

export interface FieldProblem {
  field: string;
  reason: string;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** `/indicators/3/value` in `body` → `body.indicators[3].value`, readable by a person. */
export function fieldName(context: string | undefined, instancePath: string | undefined, params?: Record<string, unknown>): string {
  let field = context ?? '';
  for (const part of (instancePath ?? '').split('/').filter(Boolean)) {
    const name = part.replace(/~1/g, '/').replace(/~0/g, '~');
    field += /^\d+$/.test(name) ? `[${name}]` : field === '' ? name : `.${name}`;
  }
  const missing = params?.['missingProperty'] ?? (Array.isArray(params?.['requiredProperties']) ? (params['requiredProperties'] as unknown[])[0] : undefined);
  if (typeof missing === 'string') field += field === '' ? missing : `.${missing}`;
  const extra = params?.['additionalProperty'];
  if (typeof extra === 'string') field += field === '' ? extra : `.${extra}`;
  return field === '' ? '(root)' : field;
}

/** Each schema-validation issue of an error as the field it names and the reason. */
export function validationProblems(error: FastifyError): FieldProblem[] {
  const issues = (error.validation ?? []) as ValidationIssue[];
  return issues.map((issue) => ({
    field: fieldName(error.validationContext, issue.instancePath, issue.params),
    reason: issue.keyword === 'additionalProperties' ? 'is not allowed here' : issue.message ?? 'is invalid',
  }));
}

/** The methods a route may have, for the Allow header of a 405. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The methods of the resource a path names. Routes of different templates may match one path
 * (`/v1/watchlists/events` and `/v1/watchlists/:name`); the router serves a static route before
 * a parametric one, so when a method matches statically (no parameters) the static template owns
 * the path and only the methods it has are listed.
 */
function allowedMethods(fastify: FastifyInstance, path: string): string[] {
  const matches = METHODS.flatMap((method) => {
    const route = fastify.findRoute({ method, url: path });
    return route === null ? [] : [{ method, static: Object.keys(route.params ?? {}).length === 0 }];
  });
  const owned = matches.some((m) => m.static) ? matches.filter((m) => m.static) : matches;
  return owned.map((m) => m.method);
}

/** Fastify's own error codes that are the client's fault, mapped to our stable codes. */
const FASTIFY_CLIENT_ERRORS: Record<string, { code: string; title: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'REPUTE_HTTP_BODY_TOO_LARGE', title: 'Request body too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'REPUTE_HTTP_UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported media type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'REPUTE_HTTP_BAD_CONTENT_LENGTH', title: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'REPUTE_HTTP_EMPTY_BODY', title: 'Empty JSON body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'REPUTE_HTTP_INVALID_JSON', title: 'Body is not valid JSON' },
  FST_ERR_CTP_EMPTY_TYPE: { code: 'REPUTE_HTTP_UNSUPPORTED_MEDIA_TYPE', title: 'Content-Type is empty' },
  FST_ERR_CTP_INVALID_TYPE: { code: 'REPUTE_HTTP_UNSUPPORTED_MEDIA_TYPE', title: 'Content-Type is invalid' },
  FST_ERR_BAD_URL: { code: 'REPUTE_HTTP_BAD_URL', title: 'Malformed URL' },
  FST_ERR_RATE_LIMIT_EXCEEDED: { code: 'REPUTE_AUTH_RATE_LIMITED', title: 'Rate limit exceeded' },
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  retriable?: boolean;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

export function sendProblem(reply: FastifyReply, body: ProblemBody, headers: Record<string, string> = {}): FastifyReply {
  for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
  return reply.code(body.status).type('application/problem+json; charset=utf-8').send(body);
}

function toProblem(error: FastifyError | ReputeError | Error, request: FastifyRequest): { body: ProblemBody; headers: Record<string, string> } {
  const instance = String(request.id);
  if (error instanceof ReputeError) {
    return {
      body: { ...error.extra, type: problemType(error.code), title: error.title, status: error.status, code: error.code, ...(error.detail === undefined ? {} : { detail: error.detail }), retriable: error.retriable, instance },
      headers: error.headers,
    };
  }
  const fastifyError = error as FastifyError;
  if (Array.isArray(fastifyError.validation)) {
    const errors = validationProblems(fastifyError);
    const code = 'REPUTE_HTTP_VALIDATION';
    return {
      body: { type: problemType(code), title: 'Request validation failed', status: 400, code, detail: errors.map((e) => `${e.field} ${e.reason}`).join('; '), errors, retriable: false, instance },
      headers: {},
    };
  }
  const status = fastifyError.statusCode ?? 500;
  const known = fastifyError.code === undefined ? undefined : FASTIFY_CLIENT_ERRORS[fastifyError.code];
  if (status >= 400 && status < 500) {
    const code = known?.code ?? 'REPUTE_HTTP_BAD_REQUEST';
    return {
      body: { type: problemType(code), title: known?.title ?? 'Bad request', status, code, detail: fastifyError.message, retriable: status === 429, instance },
      headers: {},
    };
  }
  const code = status === 503 ? 'REPUTE_HTTP_UNAVAILABLE' : 'REPUTE_HTTP_INTERNAL';
  return {
    body: { type: problemType(code), title: status === 503 ? 'Service unavailable' : 'Internal error', status, code, detail: `see the server log for request ${instance}`, retriable: true, instance },
    headers: {},
  };
}

/**
 * One error handler for the whole process: every error leaves as application/problem+json
 * (RFC 9457) with a stable `type` and `code`; validation errors list each field and reason;
 * 5xx hide internals and are logged with the request id.
 */
async function problemPlugin(fastify: FastifyInstance): Promise<void> {
  // Services mounted side by side each register it; a second not-found handler on the same
  // prefix is an error in Fastify, so the first registration serves them all.
  if (fastify.hasDecorator('problemHandlers')) return;
  fastify.decorate('problemHandlers', true);
  fastify.setErrorHandler((error: FastifyError | ReputeError, request, reply) => {
    // A method with a body (QUERY) on a path without it is refused before routing: still a 405.
    if (request.is404) return notFound(request, reply);
    const { body, headers } = toProblem(error, request);
    if (body.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.code, status: body.status }, 'request rejected');
    return sendProblem(reply, body, headers);
  });
  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0] ?? '';
    // A path that exists for other methods answers 405 naming them (RFC 9110 §15.5.6).
    const allowed = allowedMethods(fastify, path).filter((method) => method !== request.method);
    if (allowed.length > 0) {
      const code = 'REPUTE_HTTP_METHOD_NOT_ALLOWED';
      return sendProblem(reply, { type: problemType(code), title: 'Method not allowed', status: 405, code, detail: `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, instance: String(request.id) }, { allow: allowed.join(', ') });
    }
    const code = 'REPUTE_HTTP_NOT_FOUND';
    return sendProblem(reply, { type: problemType(code), title: 'Not found', status: 404, code, detail: `no route for ${request.method} ${path}`, instance: String(request.id) });
  };
  fastify.setNotFoundHandler(notFound);
}

export default fp(problemPlugin, { name: 'repute-problem', fastify: '5.x' });
