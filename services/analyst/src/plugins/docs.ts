import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

const TAXII = 'application/taxii+json;version=2.1';

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
  const responses = (schema as { response?: Record<string, unknown> }).response;
  if (responses !== undefined) {
    const typed: Record<string, unknown> = {};
    for (const [code, response] of Object.entries(responses)) {
      const r = response as { description?: string; content?: unknown };
      if (r.content !== undefined) {
        typed[code] = response;
        continue;
      }
      const types = url.startsWith('/taxii2') ? [TAXII]
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
