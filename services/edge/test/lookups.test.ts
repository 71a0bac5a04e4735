import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import type { EdgeConfig } from '../src/config.ts';
import { buildEdge, createKey, edgeConfig, metricTotal, record, sha, writer } from './helpers.ts';

let app: FastifyInstance;
let config: EdgeConfig;
let auth: { authorization: string };
const badFile = sha('malware-1');

before(async () => {
  config = edgeConfig(await testRedisUrl());
  // Records written before the edge starts: the edge builds its first filters from them.
  const { store, redis } = writer(config);
  await store.write(record('file', badFile, 'malicious'));
  await store.writeAlias('md5', '0123456789abcdef0123456789abcdef', badFile);
  await store.write(record('url', 'evil.example/dl/', 'malicious'));
  await store.write(record('url', 'compromised.example/', 'malicious'));
  await store.write(record('domain', 'bad-domain.example', 'suspicious'));
  await store.write(record('ip', '198.51.100.0/24', 'malicious'));
  await redis.quit();
  app = await buildEdge(config);
  auth = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
});
after(async () => {
  await app?.close();
  await closeTestServices();
});

test('file lookups: SHA-256 hit, MD5 alias, unknown is a 200 with the freshness contract', async () => {
  const hit = await app.inject({ url: `/v1/reputation/file/${badFile.toUpperCase()}`, headers: auth });
  assert.equal(hit.statusCode, 200);
  const body = hit.json();
  assert.equal(body.verdict, 'malicious');
  assert.equal(body.value, badFile);
  assert.equal(body.first_seen, new Date(1_700_000_000_000).toISOString());
  // Two tenants saw it, fewer than k: its counts are withheld.
  assert.deepEqual(body.reasons, [{ rule: 'feed.listed', weight: 0.9 }]);
  assert.equal(body.ttl, 600);
  assert.equal(hit.headers['cache-control'], 'private, max-age=600');
  assert.match(body.as_of.position, /^\d+-\d+$/);
  assert.equal(body.degraded, false);

  const alias = await app.inject({ url: '/v1/reputation/file/0123456789ABCDEF0123456789abcdef', headers: auth });
  assert.equal(alias.json().verdict, 'malicious');
  assert.equal(alias.json().matched.role, 'alias');

  const unknown = await app.inject({ url: `/v1/reputation/file/${sha('benign')}`, headers: auth });
  assert.equal(unknown.statusCode, 200);
  assert.equal(unknown.json().verdict, 'unknown');
  assert.equal(unknown.json().ttl, config.EDGE_UNKNOWN_TTL_S);
  assert.equal(unknown.json().first_seen, null);
});

test('a negative lookup makes no Redis call', async () => {
  const before = await metricTotal(app, 'repute_edge_redis_round_trips_total');
  const negatives = await metricTotal(app, 'repute_edge_filter_negatives_total');
  for (let i = 0; i < 50; i++) {
    const res = await app.inject({ url: `/v1/reputation/file/${sha(`clean-${i}`)}`, headers: auth });
    assert.equal(res.json().verdict, 'unknown');
  }
  assert.equal(await metricTotal(app, 'repute_edge_redis_round_trips_total'), before);
  assert.ok((await metricTotal(app, 'repute_edge_filter_negatives_total')) >= negatives + 45);
});

test('URL lookups check every expression and the host domain; the answer names the match', async () => {
  const res = await app.inject({ url: `/v1/reputation/url?url=${encodeURIComponent('HTTP://Evil.Example/dl/payload.exe?x=1')}`, headers: auth });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().verdict, 'malicious');
  assert.deepEqual(res.json().matched, { kind: 'url', value: 'evil.example/dl/', role: 'expression' });
  assert.equal(res.json().value, 'http://evil.example/dl/payload.exe?x=1');

  const viaDomain = await app.inject({ url: `/v1/reputation/url?url=${encodeURIComponent('https://www.bad-domain.example/login')}`, headers: auth });
  assert.equal(viaDomain.json().verdict, 'suspicious');
  assert.equal(viaDomain.json().matched.kind, 'domain');

  const bad = await app.inject({ url: '/v1/reputation/url?url=http%3A%2F%2F%3A80%2F', headers: auth });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.match(bad.json().code, /^REPUTE_INDICATOR_/);
});

test('a convicted host root answers for that page, not for every page of the host', async () => {
  const lookup = async (url: string) => (await app.inject({ url: `/v1/reputation/url?url=${encodeURIComponent(url)}`, headers: auth })).json();
  const root = await lookup('https://compromised.example/');
  assert.equal(root.verdict, 'malicious');
  assert.deepEqual(root.matched, { kind: 'url', value: 'compromised.example/', role: 'exact' });
  // With a query it is the same page (a per-recipient token).
  assert.equal((await lookup('https://compromised.example/?id=4711')).verdict, 'malicious');
  for (const other of ['https://compromised.example/about', 'https://www.compromised.example/', 'https://compromised.example/a/?q=1']) {
    assert.equal((await lookup(other)).verdict, 'unknown', other);
  }
  // A path prefix below the root still answers for the pages under it.
  assert.equal((await lookup('http://evil.example/dl/other.bin')).verdict, 'malicious');
});

test('domain lookups consult parents; IP lookups consult the /24 network', async () => {
  const sub = await app.inject({ url: '/v1/reputation/domain/a.b.BAD-domain.example.', headers: auth });
  assert.equal(sub.json().verdict, 'suspicious');
  assert.deepEqual(sub.json().matched, { kind: 'domain', value: 'bad-domain.example', role: 'parent' });
  const ip = await app.inject({ url: '/v1/reputation/ip/198.51.100.77', headers: auth });
  assert.equal(ip.json().verdict, 'malicious');
  assert.deepEqual(ip.json().matched, { kind: 'ip', value: '198.51.100.0/24', role: 'network' });
  const badIp = await app.inject({ url: '/v1/reputation/ip/999.1.1.1.1', headers: auth });
  assert.equal(badIp.statusCode, 400);
  // No shorthand that would silently mean another address, no digits of other scripts.
  for (const raw of ['010.0.0.1', '1.2.3', '2130706433', '0x7f.0.0.1']) {
    assert.equal((await app.inject({ url: `/v1/reputation/ip/${raw}`, headers: auth })).statusCode, 400, raw);
  }
  for (const raw of ['０'.repeat(64), '٠'.repeat(64)]) {
    assert.equal((await app.inject({ url: `/v1/reputation/file/${encodeURIComponent(raw)}`, headers: auth })).statusCode, 400, raw);
  }
  const badHash = await app.inject({ url: '/v1/reputation/file/xyz', headers: auth });
  assert.equal(badHash.statusCode, 400);
  assert.equal(badHash.json().item.value, 'xyz');
  // A long valid name is looked up like any other (path parameters up to the contract's length).
  const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(20)}.bad-domain.example`;
  const deep = await app.inject({ url: `/v1/reputation/domain/${long}`, headers: auth });
  assert.equal(deep.statusCode, 200, deep.body);
  assert.equal(deep.json().verdict, 'suspicious');
});

test('batch: mixed kinds answered in order, invalid items named, valid ones still answered', async () => {
  const indicators = [
    { kind: 'file', value: badFile },
    { kind: 'file', value: 'nothex' },
    { kind: 'url', value: 'http://evil.example/dl/x' },
    { kind: 'domain', value: 'fine.example' },
    { kind: 'ip', value: '198.51.100.1' },
    { kind: 'weird', value: 'x' },
    { kind: 'file', value: sha('nothing') },
  ];
  const res = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: auth, payload: { indicators } });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.deepEqual(body.results.map((r: { status: string }) => r.status), ['found', 'invalid', 'found', 'unknown', 'found', 'invalid', 'unknown']);
  assert.equal(body.results[0].verdict, 'malicious');
  assert.match(body.results[1].code, /^REPUTE_INDICATOR_/);
  assert.deepEqual(body.counts, { found: 3, unknown: 2, invalid: 2 });
  assert.equal(body.results[3].verdict, undefined, 'unknown items stay compact');

  const before = await metricTotal(app, 'repute_edge_redis_round_trips_total');
  const many = Array.from({ length: 1000 }, (_, i) => ({ kind: 'file', value: i % 100 === 0 ? badFile : sha(`n${i}`) }));
  const big = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: auth, payload: { indicators: many } });
  assert.equal(big.json().counts.found, 10);
  assert.ok((await metricTotal(app, 'repute_edge_redis_round_trips_total')) - before <= 1, 'one Redis round trip at most');

  const tooMany = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: auth, payload: { indicators: [...many, many[0]] } });
  assert.equal(tooMany.statusCode, 400);
  assert.equal(tooMany.json().code, 'REPUTE_HTTP_VALIDATION');
  const notJson = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"indicators": [' });
  assert.equal(notJson.statusCode, 400);
  assert.equal(notJson.headers['content-type'], 'application/problem+json; charset=utf-8');
});

test('hash-prefix search returns full digests and verdicts', async () => {
  const res = await app.inject({ url: `/v1/reputation/prefix/file/${badFile.slice(0, 8)}`, headers: auth });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json().matches, [{ digest: badFile, verdict: 'malicious' }]);
  assert.equal((await app.inject({ url: '/v1/reputation/prefix/file/abc', headers: auth })).statusCode, 400);
});

test('operations: healthz, readyz, metrics', async () => {
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.equal(ready.json().checks.filters.ok, true);
  assert.match((await app.inject({ url: '/metrics' })).body, /repute_edge_lookup_duration_seconds_bucket\{.*kind="file"/);
});
