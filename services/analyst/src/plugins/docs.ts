import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

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
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
}

export default fp(docsPlugin, { name: 'repute-docs', fastify: '5.x' });
