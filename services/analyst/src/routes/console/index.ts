import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The console's files: plain ES modules and CSS, served as they are (no build step). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

/**
 * The analyst web console at /console/. The pages are public, like /docs; every call they make
 * carries the analyst's API key as a Bearer token, so the files hold no data of their own.
 * The key sits in sessionStorage, which any script on the origin can read: the policy allows
 * this origin's scripts only, no inline script and no framing.
 */
export default async function consoleRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  await fastify.register(fastifyStatic, {
    root: CONSOLE_DIR,
    prefix: '/console/',
    // The docs UI registers its own copy; this one must not decorate the reply a second time.
    decorateReply: false,
    index: ['index.html'],
    redirect: true,
    // Revalidated on every load (ETag), so a deployment's new files are picked up at once.
    cacheControl: true,
    maxAge: 0,
    wildcard: false,
    // Routes for the files present at start only; the folder's type-check settings are not served.
    globIgnore: ['tsconfig.json'],
  });
}
