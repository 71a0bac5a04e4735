import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import swagger from '@fastify/swagger';
import { RedisBus } from '@repute/bus';
import { startRedis, waitFor } from '@repute/infra';
import { closeTestServices } from '@repute/infra/testkit';
import { decodeEnvelope } from '@repute/telemetry';
import { event, SHA, startIngest, type Harness } from './helpers.ts';

after(() => closeTestServices());

const post = (h: Harness, payload: string | Buffer, headers: Record<string, string> = {}, key: string | null = h.key) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/telemetry',
    payload,
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
  });

const published = async (h: Harness) => (await h.bus.read('telemetry.v1', { limit: 10_000 })).map((m) => ({ key: m.key, env: decodeEnvelope(m.value) }));

// Bodies are read on sorting threads by default; with none, on the event loop: both answer alike.
for (const threads of ['0', '2']) {
  test(`read on ${threads} sorting threads, a JSON array is partly accepted: valid events are published canonical, each rejected one says why`, async (t) => {
    const h = await startIngest({ INGEST_SORT_THREADS: threads });
    t.after(() => h.close());
    await partlyAccepted(h);
  });
}

async function partlyAccepted(h: Harness): Promise<void> {
  const res = await post(h, JSON.stringify([
    event(0, { url: 'HTTP://Evil.Example/Dl/../x.exe' }),
    event(1, { file: { sha256: 'not-a-hash' } }),
    { ...event(2), tenant: 'someone-else' },
    event(3, { type: 'url_visit', file: undefined, url: 'http://WWW.Example.com/' }),
    event(0),
  ]));
  assert.equal(res.statusCode, 202, res.body);
  const body = res.json();
  assert.equal(body.accepted, 2);
  assert.equal(body.rejected, 3);
  assert.deepEqual(body.acceptedIds, ['evt-0', 'evt-3']);
  assert.deepEqual(body.rejections.map((r: { index: number; reason: string; field: string }) => [r.index, r.reason, r.field]), [
    [1, 'invalid_indicator', '/file/sha256'],
    [2, 'invalid_field', '/tenant'],
    [4, 'duplicate_id', '/id'],
  ]);
  const onBus = await published(h);
  assert.equal(onBus.length, 2);
  const first = onBus.find((m) => m.env.event.id === 'evt-0')!;
  assert.equal(first.env.tenant, 'tenant-a', 'the tenant comes from the key');
  assert.equal(first.env.event.file?.sha256, SHA(1), 'hash canonical (lowercase)');
  assert.equal(first.key, SHA(1), 'keyed by the file digest');
  assert.equal(first.env.event.url, 'http://evil.example/x.exe');
  const byUrl = onBus.find((m) => m.env.event.id === 'evt-3')!;
  assert.equal(byUrl.env.event.url, 'http://www.example.com/');
  assert.match(byUrl.key, /^[0-9a-f]{64}$/);
}

test('NDJSON, gzip-compressed: a broken line is one rejection, the rest is accepted', async (t) => {
  const h = await startIngest();
  t.after(() => h.close());
  const ndjson = `${[JSON.stringify(event(0)), '{"id": broken', '', JSON.stringify(event(1))].join('\n')}\n`;
  const res = await post(h, gzipSync(ndjson), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
  assert.equal(res.statusCode, 202, res.body);
  const body = res.json();
  assert.deepEqual(body.acceptedIds, ['evt-0', 'evt-1']);
  assert.equal(body.rejections[0].index, 1);
  assert.equal(body.rejections[0].reason, 'invalid_json');
  assert.equal((await published(h)).length, 2);
});

for (const threads of ['0', '1']) {
  test(`read on ${threads} sorting threads, malformed or oversized bodies are refused as problem+json and nothing is published`, async (t) => {
    const h = await startIngest({ INGEST_MAX_BODY_BYTES: '65536', INGEST_MAX_DECOMPRESSED_BYTES: '262144', INGEST_MAX_EVENTS: '50', INGEST_SORT_THREADS: threads });
    t.after(() => h.close());
    await refused(h);
  });
}

async function refused(h: Harness): Promise<void> {
  const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
  assert.ok(bomb.length < 65536, 'the bomb itself fits the body limit');
  const cases: [string, string | Buffer, Record<string, string>, number, string][] = [
    ['invalid JSON', '[{"id": ', {}, 400, 'REPUTE_INGEST_INVALID_JSON'],
    ['not an array', JSON.stringify(event(0)), {}, 400, 'REPUTE_INGEST_NOT_AN_ARRAY'],
    ['empty array', '[]', {}, 400, 'REPUTE_INGEST_EMPTY_BATCH'],
    ['bad gzip', Buffer.from('definitely not gzip'), { 'content-encoding': 'gzip' }, 400, 'REPUTE_INGEST_BAD_COMPRESSION'],
    ['unknown encoding', '[]', { 'content-encoding': 'br' }, 400, 'REPUTE_INGEST_UNSUPPORTED_ENCODING'],
    ['gzip bomb', bomb, { 'content-encoding': 'gzip' }, 413, 'REPUTE_INGEST_DECOMPRESSED_TOO_LARGE'],
    ['body over the limit', JSON.stringify(Array.from({ length: 40 }, (_, i) => event(i, { file: { sha256: SHA(i + 1), name: 'x'.repeat(1000) }, relations: { carriedUrls: Array.from({ length: 3 }, () => `http://a.example/${'p'.repeat(500)}`) } }))), {}, 413, 'REPUTE_HTTP_BODY_TOO_LARGE'],
    ['too many events', JSON.stringify(Array.from({ length: 51 }, (_, i) => event(i))), {}, 413, 'REPUTE_INGEST_TOO_MANY_EVENTS'],
    ['text/plain', 'hello', { 'content-type': 'text/plain' }, 415, 'REPUTE_HTTP_UNSUPPORTED_MEDIA_TYPE'],
    ['no body', '', {}, 400, 'REPUTE_INGEST_EMPTY_BODY'],
  ];
  for (const [what, payload, headers, status, code] of cases) {
    const res = await post(h, payload, headers);
    assert.equal(res.statusCode, status, `${what}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/, what);
    assert.equal(res.json().code, code, what);
  }
  // No body and no content type at all: no parser runs, and the answer is still a clear 400.
  const bare = await h.app.inject({ method: 'POST', url: '/v1/telemetry', headers: { authorization: `Bearer ${h.key}` } });
  assert.equal(bare.statusCode, 400, bare.body);
  assert.equal(bare.json().code, 'REPUTE_INGEST_EMPTY_BODY');
  assert.equal((await published(h)).length, 0);
}

test('the document says a telemetry request has a body (JSON or NDJSON events, each judged on its own) and what its refusals are', async (t) => {
  const h = await startIngest({ INGEST_MAX_EVENTS: '50' }, undefined, async (fastify) => {
    await fastify.register(swagger, { openapi: { openapi: '3.0.3', info: { title: 'ingest', version: '1' } } });
    fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  });
  t.after(() => h.close());
  const doc = (await h.app.inject({ url: '/openapi.json' })).json();
  const operation = doc.paths['/v1/telemetry'].post;
  assert.equal(operation.requestBody?.required, true, JSON.stringify(operation.requestBody));
  assert.deepEqual(Object.keys(operation.requestBody.content).sort(), ['application/json', 'application/x-ndjson']);
  for (const media of Object.values(operation.requestBody.content) as { schema: { type: string; minItems: number } }[]) {
    assert.equal(media.schema.type, 'array');
    assert.equal(media.schema.minItems, 1);
  }
  for (const status of ['400', '401', '403', '413', '415', '429', '503']) assert.ok(operation.responses[status], `${status} is not documented`);

  // Every body of the documented form is taken: an item that is not a valid event is a rejection.
  const res = await post(h, JSON.stringify([0, 'x', null, [], {}, event(0)]));
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(res.json().accepted, 1);
  assert.equal(res.json().rejected, 5);
  const ndjson = await post(h, `${JSON.stringify(event(1))}\n7\n`, { 'content-type': 'application/x-ndjson' });
  assert.equal(ndjson.statusCode, 202, ndjson.body);
  assert.equal(ndjson.json().rejected, 1);
  // A request without one is refused as the document now says it may be.
  const bare = await h.app.inject({ method: 'POST', url: '/v1/telemetry', headers: { authorization: `Bearer ${h.key}` } });
  assert.equal(bare.statusCode, 400, bare.body);
  assert.match(String(bare.headers['content-type']), /^application\/problem\+json/);
  assert.equal(bare.json().code, 'REPUTE_INGEST_EMPTY_BODY');
  const unauthorised = await post(h, '[]', {}, null);
  assert.equal(unauthorised.statusCode, 401);
  assert.equal(unauthorised.json().code, 'REPUTE_AUTH_UNAUTHORIZED');
});

test('keys: none is 401, a key without the ingest scope is 403, and the per-key rate limit answers 429', async (t) => {
  const h = await startIngest();
  t.after(() => h.close());
  const body = JSON.stringify([event(0)]);
  assert.equal((await post(h, body, {}, null)).statusCode, 401);
  // The scheme is case-insensitive (RFC 9110 §11.1).
  const { key: lower } = await h.keys.create({ tenant: 'tenant-c', scopes: ['ingest'] });
  assert.equal((await post(h, body, { authorization: `bearer ${lower}` }, null)).statusCode, 202);
  assert.equal((await post(h, body, { authorization: `BEARER  ${lower}` }, null)).statusCode, 202);
  assert.equal((await post(h, body, {}, 'rpk_0000000000000000_notarealkeynotarealkeynotarealkeynotareal')).statusCode, 401);
  const { key: lookupKey } = await h.keys.create({ tenant: 'tenant-a', scopes: ['lookup'] });
  const forbidden = await post(h, body, {}, lookupKey);
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.json().code, 'REPUTE_AUTH_FORBIDDEN');
  const { key: slowKey } = await h.keys.create({ tenant: 'tenant-b', scopes: ['ingest'], rateLimitPerMinute: 2 });
  assert.equal((await post(h, body, {}, slowKey)).statusCode, 202);
  assert.equal((await post(h, body, {}, slowKey)).statusCode, 202);
  const limited = await post(h, body, {}, slowKey);
  assert.equal(limited.statusCode, 429);
  assert.match(String(limited.headers['content-type']), /^application\/problem\+json/);
  assert.equal((await published(h)).length, 4, 'only the admitted requests published');
});

test('with the bus down the answer is 503 with Retry-After and /readyz fails; once it is back, the same events are accepted', async (t) => {
  const server = await startRedis({ appendOnly: false });
  t.after(() => server.close());
  const bus = new RedisBus({ url: server.url, keyPrefix: 'b:', publishTimeoutMs: 1_000, log: { info() {}, warn() {}, error() {}, debug() {} } });
  t.after(() => bus.close());
  const h = await startIngest({ INGEST_RETRY_AFTER_SECONDS: '7' }, bus);
  t.after(() => h.close());
  const body = JSON.stringify([event(0), event(1)]);
  assert.equal((await post(h, body)).statusCode, 202);
  assert.equal((await h.app.inject({ url: '/readyz' })).statusCode, 200);
  await server.stop();
  const res = await post(h, body);
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.headers['retry-after'], '7');
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json().code, 'REPUTE_INGEST_BUS_UNAVAILABLE');
  assert.equal((await h.app.inject({ url: '/readyz' })).statusCode, 503);
  const metrics = (await h.app.inject({ url: '/metrics' })).body;
  assert.match(metrics, /repute_ingest_requests_total\{outcome="bus_unavailable"[^}]*\} 1/);
  assert.match(metrics, /repute_bus_publish_errors_total\{[^}]*code="REPUTE_BUS_UNAVAILABLE"[^}]*\} 1/);
  await server.start();
  // Refused at once while known down; a background probe notices the bus is back.
  await waitFor('ready again', async () => ((await h.app.inject({ url: '/readyz' })).statusCode === 200 ? true : undefined), 10_000, 100);
  const retried = await post(h, body);
  assert.equal(retried.statusCode, 202, retried.body);
  assert.deepEqual(retried.json().acceptedIds, ['evt-0', 'evt-1']);
});

test('metrics count accepted and rejected events by reason', async (t) => {
  const h = await startIngest();
  t.after(() => h.close());
  await post(h, JSON.stringify([event(0), event(1, { time: 'not-a-time-at-all' }), event(2, { port: 70000 })]));
  const text = (await h.app.inject({ url: '/metrics' })).body;
  assert.match(text, /repute_ingest_events_total\{outcome="accepted",reason="none"[^}]*\} 1/);
  assert.match(text, /repute_ingest_events_total\{outcome="rejected",reason="invalid_time"[^}]*\} 1/);
  assert.match(text, /repute_ingest_events_total\{outcome="rejected",reason="invalid_field"[^}]*\} 1/);
  assert.match(text, /repute_bus_publish_duration_seconds_count\{[^}]*outcome="ok"[^}]*\} 1/);
});
