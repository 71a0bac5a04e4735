import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeTestServices } from '@repute/infra/testkit';
import { createClient, IndicatorError, ReputeApiError, ReputeUnavailableError, type Answer } from '../src/index.ts';
import { randomSha, sha, startEdge, until } from './helpers.ts';

after(closeTestServices);

test('answers are typed, canonical and cached for the TTL the service gave', async (t) => {
  const edge = await startEdge(t);
  const shortLived = sha('short-lived');
  await edge.write('file', shortLived, 'malicious', 1);
  await edge.write('domain', 'evil.example', 'malicious');
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey() });
  t.after(() => client.close());

  const first = await client.lookupFile(shortLived.toUpperCase());
  assert.equal(first.verdict, 'malicious');
  assert.equal(first.value, shortLived, 'canonical (lower-case) value');
  assert.equal(first.source, 'service');
  assert.equal(first.status, 'confirmed');
  assert.equal(first.ttl, 1);
  // Two tenants saw it, fewer than the service's k: counts are withheld, and the SDK says so.
  assert.deepEqual(first.reasons, [{ rule: 'feed.listed', weight: 0.9 }]);
  assert.deepEqual(first.prevalence, { suppressed: true, fewer_than: 5 });
  assert.equal(typeof first.asOf?.position, 'string');
  const fetchedAt = Date.now();

  const again = await client.lookupFile(shortLived);
  assert.equal(again.source, 'cache');
  assert.equal(again.verdict, 'malicious');
  assert.equal(edge.count('GET /v1/reputation/file/:hash'), 1, 'the cached answer never reached the service');

  await until('the 1 s TTL ran out', () => Date.now() > fetchedAt + 1000);
  assert.equal((await client.lookupFile(shortLived)).source, 'service', 'an expired answer is asked again');
  assert.equal(edge.count('GET /v1/reputation/file/:hash'), 2);

  // Keyed by canonical value: spellings of one domain share an entry.
  const domain = await client.lookupDomain('WWW.Evil.Example.');
  assert.equal(domain.value, 'www.evil.example');
  assert.equal(domain.verdict, 'malicious');
  assert.deepEqual(domain.matched, { kind: 'domain', value: 'evil.example', role: 'parent' });
  assert.equal((await client.lookupDomain('www.evil.example')).source, 'cache');
  assert.equal((await client.lookupUrl('HTTP://www.EVIL.example/a/../login')).verdict, 'malicious');
  assert.equal((await client.lookupIp('2001:DB8::1')).value, '2001:db8::1');
  assert.equal((await client.lookupIp('198.51.100.0/24')).verdict, 'unknown');

  await assert.rejects(client.lookupFile('not-a-hash'), IndicatorError);
  assert.deepEqual(client.stats(), { lookups: 9, savedByFilter: 0, cacheHits: 2, remote: 6, pending: 0 });
});

test('lookupMany answers in order, chunks to 1000, reports invalid items and fills the cache', async (t) => {
  const edge = await startEdge(t);
  const bad = sha('bad');
  await edge.write('file', bad, 'malicious');
  await edge.write('url', 'phish.example/login', 'suspicious');
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey() });
  t.after(() => client.close());

  const unknowns = Array.from({ length: 1500 }, () => ({ kind: 'file' as const, value: randomSha() }));
  const input = [
    { kind: 'file' as const, value: bad },
    { kind: 'url' as const, value: 'https://phish.example/login?next=1' },
    { kind: 'domain' as const, value: 'not a domain' },
    ...unknowns,
    { kind: 'ip' as const, value: '203.0.113.7' },
  ];
  const results = await client.lookupMany(input);
  assert.equal(results.length, input.length);
  assert.equal(edge.count('POST /v1/reputation/batch'), 2, '1502 valid indicators in two requests');
  const [file, url, invalid] = results as [Answer, Answer, { status: string; code: string }];
  assert.equal(file.verdict, 'malicious');
  assert.equal(url.verdict, 'suspicious');
  assert.equal(url.matched?.value, 'phish.example/login');
  assert.equal(invalid.status, 'invalid');
  assert.match(invalid.code, /^REPUTE_INDICATOR_/);
  assert.ok(results.slice(3, -1).every((r) => r.status === 'confirmed' && (r as Answer).verdict === 'unknown' && (r as Answer).ttl > 0));
  assert.equal((results.at(-1) as Answer).value, '203.0.113.7');

  const cached = await client.lookupMany([{ kind: 'file', value: bad }, unknowns[0]!]);
  assert.deepEqual(cached.map((r) => (r as Answer).source), ['cache', 'cache']);
  assert.equal(edge.count('POST /v1/reputation/batch'), 2);
});

test('lookupPrivately sends only 4-byte prefixes and matches the full digest locally', async (t) => {
  const edge = await startEdge(t);
  const bad = sha('private-bad');
  await edge.write('file', bad, 'malicious');
  await edge.write('domain', 'tracker.example', 'suspicious');
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey() });
  t.after(() => client.close());
  const seen = edge.urls;
  seen.length = 0;

  const hit = await client.lookupPrivately('file', bad);
  assert.equal(hit.verdict, 'malicious');
  assert.equal(hit.source, 'prefix');
  assert.deepEqual(hit.matched, { kind: 'file', value: bad, role: 'exact' });
  assert.deepEqual(seen, [`/v1/reputation/prefix/file/${bad.slice(0, 8)}`]);

  const miss = await client.lookupPrivately('file', randomSha());
  assert.equal(miss.verdict, 'unknown');

  const url = await client.lookupPrivately('url', 'http://cdn.tracker.example/pixel.gif');
  assert.equal(url.verdict, 'suspicious');
  assert.deepEqual(url.matched, { kind: 'domain', value: 'tracker.example', role: 'parent' });
  assert.ok(seen.every((u) => /^\/v1\/reputation\/prefix\/(file|url|domain|ip)\/[0-9a-f]{8}$/.test(u)), 'nothing but prefixes left the client');
  await assert.rejects(client.lookupPrivately('file', 'd41d8cd98f00b204e9800998ecf8427e'), { code: 'REPUTE_CLIENT_PREFIX_UNSUPPORTED' });
});

test('retries: 503 and 429 within budget are retried after Retry-After; other 4xx are not', async (t) => {
  const edge = await startEdge(t);
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey(), retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 2000 } });
  t.after(() => client.close());

  edge.refuse = { status: 503, times: 2 };
  assert.equal((await client.lookupFile(randomSha())).verdict, 'unknown');
  assert.equal(edge.count('GET /v1/reputation/file/:hash'), 3, 'two 503s, then the answer');

  edge.refuse = { status: 429, retryAfter: '1', times: 1 };
  const started = Date.now();
  assert.equal((await client.lookupFile(randomSha())).verdict, 'unknown');
  assert.ok(Date.now() - started >= 1000, 'waited out Retry-After: 1');
  assert.equal(edge.count('GET /v1/reputation/file/:hash'), 5);

  edge.refuse = { status: 503, times: 5 };
  await assert.rejects(client.lookupFile(randomSha()), (err: unknown) => err instanceof ReputeApiError && err.status === 503);
  assert.equal(edge.count('GET /v1/reputation/file/:hash'), 8, 'gave up after three attempts');
  edge.refuse = undefined;

  const badKey = createClient({ baseUrl: edge.url, apiKey: 'rk_wrong', retry: { attempts: 3, baseDelayMs: 10 } });
  t.after(() => badKey.close());
  await assert.rejects(badKey.lookupFile(randomSha()), (err: unknown) => err instanceof ReputeApiError && err.status === 401 && err.code === 'REPUTE_AUTH_UNAUTHORIZED');
  assert.equal(edge.count('GET /v1/reputation/file/:hash'), 9, 'a 401 is not retried');
});

test('a key rate limit: a Retry-After beyond the budget fails at once and holds later calls back', async (t) => {
  const edge = await startEdge(t);
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey({ rateLimitPerMinute: 2 }), retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 2000 } });
  t.after(() => client.close());
  await client.lookupFile(randomSha());
  await client.lookupFile(randomSha());
  const limited = await client.lookupFile(randomSha()).then(() => undefined, (err: unknown) => err);
  assert.ok(limited instanceof ReputeApiError, 'the third call in the minute is refused');
  assert.equal(limited.status, 429);
  assert.equal(limited.code, 'REPUTE_AUTH_RATE_LIMITED');
  assert.ok(limited.retryAfterMs !== undefined && limited.retryAfterMs > 2000);
  assert.equal(edge.count('GET /v1/reputation/file/:hash'), 3, 'a Retry-After longer than maxDelayMs is not waited out');

  await assert.rejects(client.lookupFile(randomSha()), (err: unknown) => err instanceof ReputeUnavailableError && (err.retryAfterMs ?? 0) > 2000);
  assert.equal(edge.count('GET /v1/reputation/file/:hash'), 3, 'calls during the Retry-After do not reach the service');
});
