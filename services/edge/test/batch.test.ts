import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Check } from 'typebox/value';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import type { EdgeConfig } from '../src/config.ts';
import { SliceScheduler } from '../src/lookup/slice-scheduler.ts';
import { Answer, BatchItem } from '../src/routes/reputation/schemas.ts';
import { buildEdge, createKey, edgeConfig, metricTotal, record, sha, until, writer } from './helpers.ts';

let app: FastifyInstance;
let config: EdgeConfig;
let plain: { authorization: string };
let overlaid: { authorization: string };
const badFile = sha('batch-malware');
const md5 = createHash('md5').update('batch-malware').digest('hex');
const sha1 = createHash('sha1').update('batch-malware').digest('hex');

before(async () => {
  config = edgeConfig(await testRedisUrl());
  const { store, overlays, redis } = writer(config);
  await store.write(record('file', badFile, 'malicious'));
  await store.writeAlias('md5', md5, badFile);
  await store.writeAlias('sha1', sha1, badFile);
  await store.write(record('url', 'evil.example/dl/', 'malicious'));
  await store.write(record('domain', 'bad-domain.example', 'suspicious'));
  await store.write(record('ip', '198.51.100.0/24', 'malicious'));
  await store.write(record('ip', '2001:db8:1:2::/64', 'suspicious'));
  await overlays.add('overlaid', { list: 'allow', kind: 'domain', value: 'bad-domain.example', note: 'ours' });
  await overlays.add('overlaid', { list: 'block', kind: 'file', value: sha('blocked-by-tenant') });
  await redis.quit();
  app = await buildEdge(config);
  plain = { authorization: `Bearer ${(await createKey(config, 'plain')).key}` };
  overlaid = { authorization: `Bearer ${(await createKey(config, 'overlaid')).key}` };
});
after(async () => {
  await app?.close();
  await closeTestServices();
});

// Valid indicators of every served kind: hits, aliases in any case, misses, network matches.
const valid: { kind: string; value: string }[] = [
  { kind: 'file', value: badFile },
  { kind: 'file', value: badFile.toUpperCase() },
  { kind: 'file', value: md5.toUpperCase() },
  { kind: 'file', value: sha1 },
  { kind: 'file', value: sha('nothing-here') },
  { kind: 'file', value: createHash('md5').update('unknown').digest('hex') },
  { kind: 'file', value: sha('blocked-by-tenant') },
  { kind: 'url', value: 'HTTP://Evil.Example/dl/payload.exe?x=1' },
  { kind: 'url', value: 'https://www.bad-domain.example/login' },
  { kind: 'url', value: 'http://198.51.100.9/x' },
  { kind: 'url', value: 'https://fine.example/a/b?c=d' },
  { kind: 'domain', value: 'a.b.BAD-domain.example.' },
  { kind: 'domain', value: 'fine.example' },
  { kind: 'ip', value: '198.51.100.77' },
  { kind: 'ip', value: '192.0.2.1' },
  { kind: 'ip', value: '2001:db8:1:2::99' },
  { kind: 'ip', value: '198.51.100.0/24' },
];

// Values a single lookup refuses with 400: outside the kind's API syntax, or refused by its parser.
const refused: { kind: string; value: string }[] = [
  { kind: 'file', value: ` ${sha1} ` },
  { kind: 'url', value: 'http://bücher.example/straße' },
  { kind: 'url', value: 'http://a.b:99999/' },
  { kind: 'file', value: 'nothex' },
  { kind: 'file', value: 'g'.repeat(64) },
  { kind: 'url', value: 'http://:80/' },
  { kind: 'domain', value: 'bad..domain' },
  { kind: 'ip', value: '999.1.1.1' },
];

function singleUrl(kind: string, value: string): string {
  if (kind === 'url') return `/v1/reputation/url?url=${encodeURIComponent(value)}`;
  return `/v1/reputation/${kind}/${encodeURIComponent(value)}`;
}

const answerKeys = new Set(Object.keys(Answer.properties));
const itemKeys = new Set(Object.keys(BatchItem.properties));

function assertConforms(body: Record<string, unknown>, schema: typeof Answer | typeof BatchItem, keys: Set<string>, what: string): void {
  assert.ok(Check(schema, body), `${what} conforms to its response schema: ${JSON.stringify(body)}`);
  for (const key of Object.keys(body)) assert.ok(keys.has(key), `${what} has only declared fields (${key})`);
}

async function batchOf(indicators: unknown[], headers: Record<string, string>): Promise<{ results: Record<string, unknown>[]; counts: Record<string, number>; degraded: boolean }> {
  const res = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers, payload: { indicators } });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  return res.json();
}

for (const [who, headers] of [['without an overlay (fast path)', () => plain], ['with an overlay', () => overlaid]] as const) {
  test(`batch answers equal single lookups, ${who}`, async () => {
    const auth = headers();
    const indicators = [...valid, ...refused];
    const batch = await batchOf(indicators, auth);
    assert.equal(batch.results.length, indicators.length);
    for (let i = 0; i < indicators.length; i++) {
      const { kind, value } = indicators[i]!;
      const item = batch.results[i]!;
      const single = await app.inject({ url: singleUrl(kind, value), headers: auth });
      const what = `${kind} ${JSON.stringify(value)}`;
      assertConforms(item, BatchItem, itemKeys, `batch item for ${what}`);
      if (single.statusCode === 400) {
        assert.equal(item['status'], 'invalid', what);
        assert.equal(item['code'], single.json().code, what);
        assert.equal(item['reason'], single.json().reason, what);
        assert.equal(item['kind'], kind);
        continue;
      }
      assert.equal(single.statusCode, 200, `${what}: ${single.body}`);
      const answer = single.json();
      assertConforms(answer, Answer, answerKeys, `answer for ${what}`);
      if (answer.verdict === 'unknown' && answer.overlay === undefined) {
        assert.deepEqual(item, { status: 'unknown' }, what);
        continue;
      }
      const { as_of: _asOf, degraded: _degraded, ...fields } = answer;
      assert.deepEqual(item, { status: 'found', ...fields }, what);
    }
    assert.deepEqual(batch.counts, {
      found: batch.results.filter((r) => r['status'] === 'found').length,
      unknown: batch.results.filter((r) => r['status'] === 'unknown').length,
      invalid: refused.length,
    });
  });
}

for (const [who, headers] of [['without an overlay (fast path)', () => plain], ['with an overlay', () => overlaid]] as const) {
  test(`a batch of 1000 is answered across slices in order, and a lookup sent meanwhile first, ${who}`, async (t) => {
    // Seven items per turn of the event loop: preparing, answering and writing the batch each
    // take about 143 turns.
    const scheduler = new SliceScheduler({ sliceMs: 0, chunkItems: 7 });
    const sliced = await buildEdge(config, { batchSlices: scheduler });
    t.after(() => sliced.close());
    const auth = headers();
    const distinct = [...valid, ...refused];
    // The same indicators in one short batch of the default app: one slice, checked against
    // single lookups above.
    const expected = await batchOf(distinct, auth);
    const indicators = Array.from({ length: 1000 }, (_, i) => distinct[i % distinct.length]!);
    const order: string[] = [];
    const batch = sliced.inject({ method: 'POST', url: '/v1/reputation/batch', headers: auth, payload: { indicators } }).then((res) => {
      order.push('batch');
      return res;
    });
    // Once the batch is under way (its loops wait for turns), a lookup is answered between them.
    for (let turns = 0; scheduler.waiting === 0; turns++) {
      assert.ok(turns < 10_000, 'the batch queued its loops');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const single = sliced.inject({ url: `/v1/reputation/file/${badFile}`, headers: auth }).then((res) => {
      order.push('single');
      assert.ok(scheduler.waiting > 0, 'the batch still had slices to run');
      return res;
    });
    const [res, one] = await Promise.all([batch, single]);
    assert.deepEqual(order, ['single', 'batch']);
    assert.equal(one.json().verdict, 'malicious');
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json() as { results: unknown[]; counts: Record<string, number> };
    assert.equal(answer.results.length, 1000);
    for (let i = 0; i < 1000; i++) assert.deepEqual(answer.results[i], expected.results[i % distinct.length], `item ${i}`);
    const times = (status: string): number => answer.results.filter((r) => (r as { status: string }).status === status).length;
    assert.deepEqual(answer.counts, { found: times('found'), unknown: times('unknown'), invalid: times('invalid') });
    assert.equal(answer.counts['invalid'], (1000 / distinct.length) * refused.length);
  });
}

test('the overlay decides even what the filters rule out, only for its tenant', async () => {
  const blocked = { kind: 'file', value: sha('blocked-by-tenant') };
  assert.equal((await batchOf([blocked], overlaid)).results[0]!['verdict'], 'malicious');
  assert.deepEqual((await batchOf([blocked], plain)).results[0], { status: 'unknown' });
  const allowed = (await batchOf([{ kind: 'domain', value: 'x.bad-domain.example' }], overlaid)).results[0]!;
  assert.equal(allowed['verdict'], 'clean');
  assert.deepEqual(allowed['overlay'], { list: 'allow', kind: 'domain', value: 'bad-domain.example', note: 'ours' });
});

test('batch items are checked one by one: items that are no indicator are invalid, the rest answered', async () => {
  const indicators = [
    { kind: 'url', value: `http://example.com/${'a'.repeat(5000)}` },
    { kind: 'email', value: 'a@example.com' },
    { kind: 'weird', value: 'x' },
    { kind: 'url', value: 'http://exa mple.com/' },
    { kind: 'file', value: '' },
    { kind: 'file', value: badFile },
  ];
  const batch = await batchOf(indicators, plain);
  const statuses = batch.results.map((r) => r['status']);
  assert.deepEqual(statuses, [...Array(5).fill('invalid'), 'found']);
  for (const r of batch.results.slice(0, 5)) {
    assert.equal(typeof r['reason'], 'string');
    assert.match(String(r['code']), /^REPUTE_/);
  }
  assert.equal(batch.results[0]!['code'], 'REPUTE_INDICATOR_SYNTAX');
  assert.equal(batch.results[0]!['reason'], 'value must be at most 4096 characters');
  assert.equal(batch.results[1]!['code'], 'REPUTE_EDGE_KIND_NOT_SERVED');
  assert.equal(batch.results[2]!['code'], 'REPUTE_INDICATOR_UNKNOWN_KIND');
  assert.match(String(batch.results[3]!['reason']), /^value must be a URL in RFC 3986 text/);
  assert.equal(batch.results[5]!['verdict'], 'malicious');
  assert.deepEqual(batch.counts, { found: 1, unknown: 0, invalid: 5 });
});

test('bad batch bodies are 400 problem+json naming the field', async () => {
  const cases: [unknown, string][] = [
    [{}, 'body.indicators'],
    [{ indicators: 'x' }, 'body.indicators'],
    [[], 'body'],
    [{ indicators: Array.from({ length: 1001 }, () => ({ kind: 'file', value: badFile })) }, 'body.indicators'],
    // Items of another shape than the document's {kind, value} strings refuse the whole batch.
    [{ indicators: [{ kind: 'file', value: badFile }, 42] }, 'body.indicators[1]'],
    [{ indicators: [null] }, 'body.indicators[0]'],
    [{ indicators: [['file', badFile]] }, 'body.indicators[0]'],
    [{ indicators: [{ kind: 7, value: badFile }] }, 'body.indicators[0].kind'],
    [{ indicators: [{ kind: 'file' }] }, 'body.indicators[0].value'],
    [{ indicators: [{ kind: 'file', value: 12 }] }, 'body.indicators[0].value'],
    [{ indicators: [{ kind: 'x'.repeat(33), value: badFile }] }, 'body.indicators[0].kind'],
    [{ indicators: [{ kind: 'url', value: `http://example.com/${'a'.repeat(16_400)}` }] }, 'body.indicators[0].value'],
  ];
  for (const [payload, field] of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: plain, payload: payload as object });
    assert.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 80));
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.json().code, 'REPUTE_HTTP_VALIDATION');
    assert.equal(res.json().errors[0].field, field);
  }
  const empty = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: { ...plain, 'content-type': 'application/json' }, payload: '' });
  assert.equal(empty.statusCode, 400);
  assert.equal(empty.json().code, 'REPUTE_HTTP_EMPTY_BODY');
  const broken = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: { ...plain, 'content-type': 'application/json' }, payload: '{"indicators": [' });
  assert.equal(broken.json().code, 'REPUTE_HTTP_INVALID_JSON');
});

test('negative batch items cost no Redis call; hits cost one, however often they repeat', async () => {
  const before = await metricTotal(app, 'repute_edge_redis_round_trips_total');
  const negatives = Array.from({ length: 1000 }, (_, i) => ({ kind: 'file', value: sha(`never-${i}`) }));
  assert.equal((await batchOf(negatives, plain)).counts['unknown'], 1000);
  assert.equal(await metricTotal(app, 'repute_edge_redis_round_trips_total'), before);

  // Concurrent lookups of one uncached record share a single read.
  const fresh = sha('fresh-hot-record');
  const sentinel = sha('written-after-it');
  const { store, redis } = writer(config);
  await store.write(record('file', fresh, 'malicious'));
  await store.write(record('file', sentinel, 'malicious'));
  await redis.quit();
  // The stream is applied in order: once the later record is served, the earlier one is known.
  await until('the stream reached the edge', async () => (await app.inject({ url: `/v1/reputation/file/${sentinel}`, headers: plain })).json().verdict === 'malicious');
  const start = await metricTotal(app, 'repute_edge_redis_round_trips_total');
  const answers = await Promise.all(Array.from({ length: 20 }, async () => (await app.inject({ url: `/v1/reputation/file/${fresh}`, headers: plain })).json()));
  assert.ok(answers.every((a) => a.verdict === 'malicious'));
  assert.ok((await metricTotal(app, 'repute_edge_redis_round_trips_total')) - start <= 2, 'concurrent lookups share the read');
});

test('an alias answered from the cache follows its target when the target changed', async () => {
  const target = sha('alias-target');
  const alias = createHash('md5').update('alias-target').digest('hex');
  const { store, redis } = writer(config);
  await store.write(record('file', target, 'suspicious'));
  await store.writeAlias('md5', alias, target);
  await until('alias served', async () => (await app.inject({ url: `/v1/reputation/file/${alias}`, headers: plain })).json().verdict === 'suspicious');
  // The alias stays cached; the stream drops only the changed target from the cache.
  await store.write(record('file', target, 'malicious', 2));
  await redis.quit();
  await until('new verdict via the alias', async () => (await app.inject({ url: `/v1/reputation/file/${alias}`, headers: plain })).json().verdict === 'malicious');
  const single = (await app.inject({ url: `/v1/reputation/file/${alias}`, headers: plain })).json();
  assert.equal(single.degraded, false);
  const item = (await batchOf([{ kind: 'file', value: alias }], plain)).results[0]!;
  assert.equal(item['verdict'], 'malicious');
  assert.deepEqual(item['matched'], { kind: 'file', value: alias, role: 'alias' });
});

test('single lookups: missing, over-long or malformed parameters are 400 problem+json naming the field', async () => {
  const long = await app.inject({ url: `/v1/reputation/url?url=${'a'.repeat(4097)}`, headers: plain });
  assert.equal(long.statusCode, 400);
  assert.equal(long.json().code, 'REPUTE_HTTP_VALIDATION');
  assert.deepEqual(long.json().errors, [{ field: 'querystring.url', reason: 'must NOT have more than 4096 characters' }]);
  const missing = await app.inject({ url: '/v1/reputation/url', headers: plain });
  assert.equal(missing.statusCode, 400);
  assert.deepEqual(missing.json().errors, [{ field: 'querystring.url', reason: "must have required property 'url'" }]);
  const empty = await app.inject({ url: '/v1/reputation/url?url=', headers: plain });
  assert.deepEqual(empty.json().errors, [{ field: 'querystring.url', reason: 'must NOT have fewer than 1 characters' }]);
  // Outside the kind's syntax: the reason says what the document's pattern admits.
  const unicode = await app.inject({ url: `/v1/reputation/url?url=${encodeURIComponent('http://x.example/ü')}`, headers: plain });
  assert.equal(unicode.statusCode, 400);
  assert.equal(unicode.json().code, 'REPUTE_INDICATOR_SYNTAX');
  assert.match(unicode.json().errors[0].reason, /^value must be a URL in RFC 3986 text/);
  assert.equal(unicode.json().errors[0].field, 'querystring.url');
  // The same URL in RFC 3986 text is looked up; a 4096-character one is too.
  for (const url of ['http://x.example/%C3%BC', `http://x.example/${'%C3%BC'.repeat(679)}`]) {
    const ok = await app.inject({ url: `/v1/reputation/url?url=${encodeURIComponent(url)}`, headers: plain });
    assert.equal(ok.statusCode, 200, ok.body);
  }
});
