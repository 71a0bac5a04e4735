import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

const TAXII = 'application/taxii+json;version=2.1';

/** The shape of every problem document (RFC 9457), for the generic 4XX/5XX answers. */
const GENERIC_PROBLEM = {
  description: 'A problem document',
  type: 'object',
  required: ['title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' } },
  additionalProperties: true,
};

/** A querystring schema that admits unknown parameters and does not require those with defaults. */
function lenientQuery(query: Record<string, unknown>): Record<string, unknown> {
  const properties = (query['properties'] ?? {}) as Record<string, { default?: unknown }>;
  const required = ((query['required'] ?? []) as string[]).filter((name) => properties[name]?.default === undefined);
  const { additionalProperties: _ignored, required: _required, ...rest } = query;
  return { ...rest, ...(required.length > 0 ? { required } : {}) };
}

/** What a route's successful answers are, where it is not JSON. */
const SUCCESS_TYPES: Record<string, string[]> = {
  '/v1/feed/verdicts': ['text/event-stream'],
  '/v1/watchlists/events': ['text/event-stream'],
  '/v1/filters/:kind': ['application/octet-stream'],
  '/v1/feeds/:kind': ['text/plain', 'text/csv', 'application/stix+json;version=2.1'],
};

/**
 * The document says what the service sends: errors are application/problem+json (TAXII
 * error resources under /taxii2/), TAXII answers application/taxii+json, streams and feeds their
 * own types; a route without a scope is public (no security requirement).
 */
function documentRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (schema === undefined || (schema as { hide?: boolean }).hide === true) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  if ((route.config as { scope?: unknown } | undefined)?.scope === undefined) out['security'] = [];
  // Unknown query parameters are ignored (a cache-buster must not fail a lookup), and one with
  // a default may be left out: the document says so.
  const query = (schema as { querystring?: Record<string, unknown> }).querystring;
  if (query !== undefined) out['querystring'] = lenientQuery(query);
  const responses = (schema as { response?: Record<string, unknown> }).response;
  if (responses !== undefined) {
    const typed: Record<string, unknown> = {};
    // Any request may meet the generic refusals (a bad key, a limit, a body or header too
    // large, a dependency away): every operation documents them as ranges.
    const all: Record<string, unknown> = { '4XX': GENERIC_PROBLEM, '5XX': GENERIC_PROBLEM, ...responses };
    for (const [code, response] of Object.entries(all)) {
      const r = response as { description?: string; content?: unknown };
      if (code === '204') {
        // @fastify/swagger's spelling of an answer without a body.
        typed[code] = { type: 'null', description: r.description ?? 'No content' };
        continue;
      }
      if (r.content !== undefined) {
        typed[code] = response;
        continue;
      }
      // Under /taxii2/ errors are TAXII error resources, except those Node's parser answers
      // before any route runs (431, a malformed request line), which are problem documents.
      const types = url.startsWith('/taxii2') ? (code.startsWith('4') ? [TAXII, 'application/problem+json'] : [TAXII])
        : Number(code) >= 400 || code === '4xx' || code === '5xx' ? ['application/problem+json']
          : SUCCESS_TYPES[url] ?? ['application/json'];
      typed[code] = { description: r.description ?? (Number(code) >= 400 ? 'Problem' : 'Answer'), content: Object.fromEntries(types.map((t) => [t, { schema: response }])) };
    }
    out['response'] = typed;
  }
  return { schema: out as FastifySchema, url };
}

/**
 * OpenAPI 3 at /openapi.json and the docs UI at /docs, generated from the route schemas.
 * @fastify/swagger collects routes added after it, so a launcher mounting several services
 * registers this once, first, at the root; every service's routes then appear in one document.
 */
async function docsPlugin(fastify: FastifyInstance): Promise<void> {
  if (fastify.hasPlugin('@fastify/swagger')) return;
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Repute API', version: '1', description: 'Threat reputation: lookups, telemetry, analyst and partner APIs.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`.' },
          basic: { type: 'http', scheme: 'basic', description: 'TAXII clients: any user name, the API key as password.' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: documentRoute,
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
}

export default fp(docsPlugin, { name: 'repute-docs', fastify: '5.x' });
