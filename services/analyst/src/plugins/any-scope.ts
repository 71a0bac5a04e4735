import type { onRequestHookHandler } from 'fastify';
import { hasScope, type KeyStore, type Scope } from '@repute/auth';
import { ReputeError } from '@repute/http';

/**
 * A route open to keys holding any of several scopes (a dispute may come from a partner, a
 * tenant's lookup key or an analyst). The shared auth plugin takes one scope per route, so
 * these routes verify the key themselves; they are low-volume, so a Redis read per request is
 * fine, and no rate limit or quota applies to them.
 */
export function anyScope(keys: KeyStore, scopes: Scope[]): onRequestHookHandler {
  return function authenticate(request, _reply, done) {
    const header = request.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) {
      done(new ReputeError({ code: 'REPUTE_AUTH_UNAUTHORIZED', status: 401, title: 'Missing or invalid API key', detail: 'send the API key as "Authorization: Bearer <key>"', headers: { 'www-authenticate': 'Bearer' } }));
      return;
    }
    keys.verify(header.slice(7).trim()).then(
      (info) => {
        if (info === null) return done(new ReputeError({ code: 'REPUTE_AUTH_UNAUTHORIZED', status: 401, title: 'Missing or invalid API key', detail: 'the API key is not valid', headers: { 'www-authenticate': 'Bearer' } }));
        if (!scopes.some((s) => hasScope(info.scopes, s))) return done(new ReputeError({ code: 'REPUTE_AUTH_FORBIDDEN', status: 403, title: 'Scope not granted', detail: `this key lacks each of the scopes ${scopes.join(', ')}` }));
        request.principal = { keyId: info.id, tenant: info.tenant, scopes: info.scopes };
        done();
      },
      (err: unknown) => done(new ReputeError({ code: 'REPUTE_AUTH_UNAVAILABLE', status: 503, title: 'Key verification unavailable', detail: 'the key store cannot be reached; retry shortly', retriable: true, cause: err })),
    );
  };
}
