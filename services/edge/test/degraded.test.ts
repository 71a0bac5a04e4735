import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startRedis } from '@repute/infra';
import { closeTestServices } from '@repute/infra/testkit';
import { buildEdge, createKey, edgeConfig, metricTotal, record, sha, until, writer } from './helpers.ts';

after(closeTestServices);

test('degraded mode: Redis stops, lookups still answer (degraded, never 5xx); it comes back and catches up', async (t) => {
  const server = await startRedis();
  t.after(() => server.close());
  const config = edgeConfig(server.url, { EDGE_REDIS_TIMEOUT_MS: '200' });
  const w = writer(config);
  t.after(() => w.redis.disconnect());
  const known = sha('known-bad');
  await w.store.write(record('file', known, 'malicious'));
  const app = await buildEdge(config);
  t.after(() => app.close());
  const auth = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
  // Warm the cache and the key cache.
  assert.equal((await app.inject({ url: `/v1/reputation/file/${known}`, headers: auth })).json().verdict, 'malicious');

  await server.stop();
  await until('edge sees Redis down', async () => (await app.inject({ url: '/readyz' })).statusCode === 503);

  const cached = await app.inject({ url: `/v1/reputation/file/${known}`, headers: auth });
  assert.equal(cached.statusCode, 200);
  assert.equal(cached.json().verdict, 'malicious', 'answered from the cache');
  const negative = await app.inject({ url: `/v1/reputation/file/${sha('never-seen')}`, headers: auth });
  assert.equal(negative.statusCode, 200);
  assert.equal(negative.json().verdict, 'unknown');
  assert.equal(negative.json().degraded, false, 'a filter negative needs no Redis');
  const urlRes = await app.inject({ url: `/v1/reputation/url?url=${encodeURIComponent('http://x.example/a')}`, headers: auth });
  assert.equal(urlRes.statusCode, 200);
  const batch = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: auth, payload: { indicators: [{ kind: 'file', value: known }, { kind: 'domain', value: 'a.example' }] } });
  assert.equal(batch.statusCode, 200);
  assert.equal(batch.json().results[0].verdict, 'malicious');

  const fresh = sha('fresh-after-restart');

  await server.start();
  await until('edge ready again', async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 15_000);
  await until('writer reconnected', async () => w.redis.status === 'ready', 15_000);
  await w.store.write(record('file', fresh, 'suspicious'));
  await w.store.write(record('file', known, 'clean', 2));
  await until('fresh verdict served', async () => (await app.inject({ url: `/v1/reputation/file/${fresh}`, headers: auth })).json().verdict === 'suspicious', 10_000);
  const updated = (await app.inject({ url: `/v1/reputation/file/${known}`, headers: auth })).json();
  assert.equal(updated.verdict, 'clean', 'the cached record was invalidated by the stream');
  assert.equal(updated.degraded, false);
});

test('degraded answers say so when a record cannot be confirmed', async (t) => {
  const server = await startRedis({ appendOnly: false });
  t.after(() => server.close());
  const config = edgeConfig(server.url, { EDGE_REDIS_TIMEOUT_MS: '200', EDGE_CACHE_MAX_ENTRIES: '0' });
  const w = writer(config);
  t.after(() => w.redis.disconnect());
  const known = sha('uncached');
  await w.store.write(record('file', known, 'malicious'));
  const app = await buildEdge(config);
  t.after(() => app.close());
  const auth = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
  assert.equal((await app.inject({ url: `/v1/reputation/file/${known}`, headers: auth })).json().verdict, 'malicious');
  await server.stop();
  await until('edge sees Redis down', async () => (await app.inject({ url: '/readyz' })).statusCode === 503);
  const res = await app.inject({ url: `/v1/reputation/file/${known}`, headers: auth });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().degraded, true);
  assert.equal(res.headers['cache-control'], 'private, no-store');
});

test('the freshness gauge grows while Redis is away and returns to ~0 once the edge reads the stream again', async (t) => {
  const server = await startRedis();
  t.after(() => server.close());
  const config = edgeConfig(server.url, { EDGE_REDIS_TIMEOUT_MS: '200' });
  const app = await buildEdge(config);
  t.after(() => app.close());
  const lag = async (): Promise<number> => metricTotal(app, 'repute_edge_updates_lag_seconds');
  assert.ok((await app.inject({ url: '/metrics' })).body.includes('# TYPE repute_edge_updates_lag_seconds gauge'));
  await until('caught up at start', async () => (await lag()) < 0.5);

  await server.stop();
  await until('lag grows past 1.5 s', async () => (await lag()) > 1.5, 15_000);
  const during = await lag();
  await until('lag keeps growing', async () => (await lag()) > during);

  await server.start();
  await until('lag back to ~0', async () => (await lag()) < 0.5, 20_000);
});
