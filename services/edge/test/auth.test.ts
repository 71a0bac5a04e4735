import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { createKeyStore } from '@repute/auth';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import { buildEdge, createKey, edgeConfig, metricTotal, sha, until } from './helpers.ts';

after(closeTestServices);

test('API keys: 401 without or with a bad key, 403 without the scope, revocation reaches the edge', async (t) => {
  const config = edgeConfig(await testRedisUrl());
  const app = await buildEdge(config);
  t.after(() => app.close());
  const url = `/v1/reputation/file/${sha('x')}`;
  const none = await app.inject({ url });
  assert.equal(none.statusCode, 401);
  assert.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(none.json().code, 'REPUTE_AUTH_UNAUTHORIZED');
  assert.equal((await app.inject({ url, headers: { authorization: 'Bearer rpk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).statusCode, 401);

  const ingestOnly = await createKey(config, 'acme', ['ingest']);
  const forbidden = await app.inject({ url, headers: { authorization: `Bearer ${ingestOnly.key}` } });
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.json().code, 'REPUTE_AUTH_FORBIDDEN');

  const good = await createKey(config, 'acme', ['lookup']);
  const headers = { authorization: `Bearer ${good.key}` };
  assert.equal((await app.inject({ url, headers })).statusCode, 200);
  // Once verified, a key costs no Redis call: revoke it and the stream tells the edge.
  const rounds = await metricTotal(app, 'repute_edge_redis_round_trips_total');
  for (let i = 0; i < 20; i++) assert.equal((await app.inject({ url, headers })).statusCode, 200);
  assert.equal(await metricTotal(app, 'repute_edge_redis_round_trips_total'), rounds);

  const redis = new Redis(config.REDIS_URL);
  t.after(() => redis.quit());
  const keys = createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  assert.deepEqual((await keys.list()).map((k) => k.id).sort(), [ingestOnly.id, good.id].sort());
  assert.equal(await keys.revoke(good.id), true);
  await until('revocation applied', async () => (await app.inject({ url, headers })).statusCode === 401, 5000);
});

test('rate limits: 429 problem+json with RateLimit headers, counted per key', async (t) => {
  const config = edgeConfig(await testRedisUrl());
  const app = await buildEdge(config);
  t.after(() => app.close());
  const url = `/v1/reputation/domain/example.org`;
  const limited = { authorization: `Bearer ${(await createKey(config, 'acme', ['lookup'], { rateLimitPerMinute: 3 })).key}` };
  const other = { authorization: `Bearer ${(await createKey(config, 'acme', ['lookup'])).key}` };
  for (let i = 0; i < 3; i++) {
    const ok = await app.inject({ url, headers: limited });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['ratelimit-limit'], '3');
    assert.equal(ok.headers['ratelimit-remaining'], String(2 - i));
  }
  const over = await app.inject({ url, headers: limited });
  assert.equal(over.statusCode, 429);
  assert.equal(over.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(over.json().code, 'REPUTE_AUTH_RATE_LIMITED');
  assert.ok(Number(over.headers['retry-after']) > 0);
  assert.equal((await app.inject({ url, headers: other })).statusCode, 200, 'another key has its own budget');
});

test('daily quotas are summed into Redis and enforced', async (t) => {
  const config = edgeConfig(await testRedisUrl());
  const app = await buildEdge(config);
  t.after(() => app.close());
  const created = await createKey(config, 'acme', ['lookup'], { dailyQuota: 5 });
  const headers = { authorization: `Bearer ${created.key}` };
  const url = '/v1/reputation/ip/192.0.2.1';
  for (let i = 0; i < 5; i++) assert.equal((await app.inject({ url, headers })).statusCode, 200);
  const over = await app.inject({ url, headers });
  assert.equal(over.statusCode, 429);
  assert.equal(over.json().code, 'REPUTE_AUTH_QUOTA_EXCEEDED');
  const redis = new Redis(config.REDIS_URL);
  t.after(() => redis.quit());
  const day = new Date().toISOString().slice(0, 10);
  await until('usage flushed', async () => Number(await redis.get(`${config.REDIS_KEY_PREFIX}auth:usage:${created.id}:${day}`)) === 5, 5000);
});
