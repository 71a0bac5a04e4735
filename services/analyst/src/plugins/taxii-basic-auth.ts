import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';

/**
 * TAXII clients send HTTP Basic credentials; the shared auth hook reads Bearer keys. Under
 * /taxii2/ the password (the API key; the user name is ignored) becomes the Bearer key. It must
 * run before the auth hook, so it is registered before the auth plugin: by the analyst app when
 * it registers auth itself, by a launcher that registers auth at the root otherwise.
 */
export const taxiiBasicAuth: onRequestHookHandler = (request, _reply, done) => {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ') && request.url.startsWith('/taxii2/')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    request.headers.authorization = `Bearer ${colon >= 0 ? decoded.slice(colon + 1) : decoded}`;
  }
  done();
};

async function taxiiBasicAuthPlugin(fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRequest', taxiiBasicAuth);
}

export default fp(taxiiBasicAuthPlugin, { name: 'repute-taxii-basic-auth', fastify: '5.x' });
