import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { problemPlugin } from '@repute/http';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { authPlugin, createKeyStore } from '../src/index.ts';

after(closeTestServices);

test('scoped routes, in child plugins or declared before the plugin, need a key; public routes do not; limits answer 429 with RateLimit headers', async (t) => {
  const redis = new Redis(await testRedisUrl());
  t.after(() => redis.quit());
  const keys = createKeyStore(redis, { prefix: `${uniqueName('auth')}:` });
  const app = Fastify({ logger: false });
  t.after(() => app.close());
  await app.register(problemPlugin);
  app.get('/declared-first', { config: { scope: 'lookup' } }, async () => ({ ok: true }));
  await app.register(authPlugin, { keys, tailRevocations: false });
  app.get('/public', async () => ({ ok: true }));
  await app.register(async (child) => {
    child.get('/scoped', { config: { scope: 'lookup' } }, async (request) => ({ tenant: request.principal?.tenant }));
    child.get('/whoami', { config: { scope: 'ingest' } }, async (request) => ({ trusted: request.principal?.trusted }));
  });
  await app.ready();

  assert.equal((await app.inject({ url: '/public' })).statusCode, 200);
  const none = await app.inject({ url: '/scoped' });
  assert.equal(none.statusCode, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer');
  assert.equal((await app.inject({ url: '/declared-first' })).statusCode, 401, 'whatever the registration order');

  const { key } = await keys.create({ tenant: 'acme', scopes: ['lookup'], rateLimitPerMinute: 2 });
  const headers = { authorization: `Bearer ${key}` };
  const first = await app.inject({ url: '/scoped', headers });
  assert.deepEqual(first.json(), { tenant: 'acme' });
  assert.equal(first.headers['ratelimit-limit'], '2');
  assert.equal(first.headers['ratelimit-remaining'], '1');
  assert.ok(Number(first.headers['ratelimit-reset']) > 0 && Number(first.headers['ratelimit-reset']) <= 60);
  assert.equal((await app.inject({ url: '/scoped', headers })).headers['ratelimit-remaining'], '0');
  const limited = await app.inject({ url: '/scoped', headers });
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json().code, 'REPUTE_AUTH_RATE_LIMITED');
  assert.equal(limited.headers['ratelimit-remaining'], '0');
  assert.ok(Number(limited.headers['retry-after']) > 0);

  const ingest = await keys.create({ tenant: 'acme', scopes: ['ingest'] });
  assert.equal((await app.inject({ url: '/scoped', headers: { authorization: `Bearer ${ingest.key}` } })).statusCode, 403);

  // The principal says whether the key is a trusted source.
  const trusted = await keys.create({ tenant: 'operator', scopes: ['ingest'], trusted: true });
  assert.deepEqual((await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${trusted.key}` } })).json(), { trusted: true });
  assert.deepEqual((await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${ingest.key}` } })).json(), { trusted: false });

  // A revocation handed over from the update stream takes effect at once.
  const other = await keys.create({ tenant: 'beta', scopes: ['admin'] });
  const otherHeaders = { authorization: `Bearer ${other.key}` };
  assert.equal((await app.inject({ url: '/scoped', headers: otherHeaders })).statusCode, 200);
  await keys.revoke(other.id);
  app.apiKeys.applyEntry({ id: '1-0', op: 'revoke', keyId: other.id });
  assert.equal((await app.inject({ url: '/scoped', headers: otherHeaders })).statusCode, 401);
});
