import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import Type from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { connect, type AddressInfo } from 'node:net';
import { MAX_PARAM_LENGTH, observabilityPlugin, problemPlugin, ReputeError, SERVER_OPTIONS } from '../src/index.ts';

async function build() {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(problemPlugin);
  await app.register(observabilityPlugin);
  app.post('/items', {
    schema: {
      body: Type.Object({ items: Type.Array(Type.Object({ kind: Type.String(), value: Type.String({ minLength: 1 }) }), { maxItems: 2 }) }, { additionalProperties: false }),
    },
  }, async (request) => ({ count: request.body.items.length }));
  app.get('/unavailable', async () => {
    throw new ReputeError({ code: 'REPUTE_BUS_UNAVAILABLE', status: 503, title: 'Bus unavailable', detail: 'try again', retriable: true, headers: { 'retry-after': '2' } });
  });
  app.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
  return app;
}

test('validation errors are problem+json naming each field', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/items', payload: { items: [{ kind: 'file', value: '' }, { kind: 'url' }] } });
  assert.equal(res.statusCode, 400);
  assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body.code, 'REPUTE_HTTP_VALIDATION');
  assert.equal(body.type, 'urn:repute:problem:http-validation');
  const fields = body.errors.map((e: { field: string }) => e.field);
  assert.ok(fields.includes('body.items[0].value') || fields.includes('body.items[1].value'), JSON.stringify(body.errors));
});

test('malformed JSON and unknown routes are problems too', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const bad = await app.inject({ method: 'POST', url: '/items', headers: { 'content-type': 'application/json' }, payload: '{"items": [' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'REPUTE_HTTP_INVALID_JSON');
  const missing = await app.inject({ method: 'GET', url: '/nowhere' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'REPUTE_HTTP_NOT_FOUND');
  // A path that exists for other methods: 405 naming them.
  for (const method of ['GET', 'DELETE', 'TRACE', 'QUERY'] as const) {
    const wrong = await app.inject({ method, url: '/items?x=1' });
    assert.equal(wrong.statusCode, 405, method);
    assert.equal(wrong.headers['allow'], 'POST');
    assert.equal(wrong.json().code, 'REPUTE_HTTP_METHOD_NOT_ALLOWED');
  }
});

test('typed errors keep their status, code and headers; internal errors hide details', async (t) => {
  const app = await build();
  t.after(() => app.close());
  const unavailable = await app.inject({ method: 'GET', url: '/unavailable' });
  assert.equal(unavailable.statusCode, 503);
  assert.equal(unavailable.headers['retry-after'], '2');
  assert.equal(unavailable.json().code, 'REPUTE_BUS_UNAVAILABLE');
  assert.equal(unavailable.json().retriable, true);
  const boom = await app.inject({ method: 'GET', url: '/boom' });
  assert.equal(boom.statusCode, 500);
  assert.doesNotMatch(boom.body, /secret internal detail/);
  assert.equal(typeof boom.json().instance, 'string');
});

test('readiness follows its checks and shutdown; metrics expose request latency by route', async (t) => {
  const app = await build();
  t.after(() => app.close());
  let dependencyUp = true;
  app.readiness.add('dependency', () => dependencyUp);
  assert.equal((await app.inject('/healthz')).statusCode, 200);
  assert.equal((await app.inject('/readyz')).statusCode, 200);
  dependencyUp = false;
  const down = await app.inject('/readyz');
  assert.equal(down.statusCode, 503);
  assert.equal(down.json().checks.dependency.ok, false);
  dependencyUp = true;
  app.readiness.markShuttingDown();
  assert.equal((await app.inject('/readyz')).statusCode, 503);
  await app.inject({ method: 'POST', url: '/items', payload: { items: [] } });
  const metrics = await app.inject('/metrics');
  assert.match(metrics.body, /repute_http_request_duration_seconds_count\{route="\/items",method="POST",status="2xx"\} 1/);
});

test('a second registration in the same process is a no-op, so services can be mounted together', async (t) => {
  const app = Fastify({ logger: false });
  t.after(() => app.close());
  await app.register(observabilityPlugin);
  await app.register(async (child) => { await child.register(observabilityPlugin); });
  await app.ready();
  assert.equal((await app.inject('/healthz')).statusCode, 200);
});

/** Sends raw bytes to a listening server and reads the whole answer (the server closes the connection). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk.toString('latin1'); });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('errors raised before any route runs are problem+json too: 414, 400 bad URL, 431, bad Content-Length, 415', async (t) => {
  const app = Fastify({ logger: false, ...SERVER_OPTIONS });
  await app.register(problemPlugin);
  app.get('/things/:value', async (request) => ({ value: (request.params as { value: string }).value }));
  app.post('/things', async (request) => ({ got: request.body }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const port = (app.server.address() as AddressInfo).port;

  const long = await app.inject({ url: `/things/${'a'.repeat(MAX_PARAM_LENGTH + 1)}` });
  assert.equal(long.statusCode, 414);
  assert.match(String(long.headers['content-type']), /^application\/problem\+json/);
  assert.equal(long.json().code, 'REPUTE_HTTP_URI_TOO_LONG');
  assert.equal((await app.inject({ url: `/things/${'a'.repeat(4096)}` })).statusCode, 200, 'a parameter of the contract’s length is fine');
  const badUrl = await app.inject({ url: '/things/%E0%A4%A' });
  assert.equal(badUrl.statusCode, 400);
  assert.equal(badUrl.json().code, 'REPUTE_HTTP_BAD_URL');
  const wrongType = await app.inject({ method: 'POST', url: '/things', payload: '<a/>', headers: { 'content-type': 'application/xml' } });
  assert.equal(wrongType.statusCode, 415);
  assert.equal(wrongType.json().code, 'REPUTE_HTTP_UNSUPPORTED_MEDIA_TYPE');

  // These never reach Fastify: Node's parser refuses them on the socket.
  const huge = await raw(port, `GET /things/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(70_000)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431 /);
  assert.match(huge, /content-type: application\/problem\+json/i);
  assert.equal(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)).code, 'REPUTE_HTTP_HEADERS_TOO_LARGE');
  const hugeLine = await raw(port, `GET /things/x?q=${'c'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.match(hugeLine, /^HTTP\/1\.1 431 /);
  assert.equal(JSON.parse(hugeLine.slice(hugeLine.indexOf('\r\n\r\n') + 4)).code, 'REPUTE_HTTP_HEADERS_TOO_LARGE');
  const badLength = await raw(port, 'POST /things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}');
  assert.match(badLength, /^HTTP\/1\.1 400 /);
  assert.equal(JSON.parse(badLength.slice(badLength.indexOf('\r\n\r\n') + 4)).code, 'REPUTE_HTTP_BAD_CONTENT_LENGTH');
});

test('a URL of the contract’s 4096 characters reaches its route however it is encoded, in the path or the query', async (t) => {
  const app = Fastify({ logger: false, ...SERVER_OPTIONS });
  await app.register(problemPlugin);
  app.get('/things/:value', async (request) => ({ length: (request.params as { value: string }).value.length }));
  app.get('/things', async (request) => ({ length: ((request.query as { url?: string }).url ?? '').length }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  // The worst case: every UTF-16 unit a three-byte character, nine bytes once percent-encoded.
  const url = `https://x.test/${'\u20ac'.repeat(4096 - 15)}`;
  assert.equal(url.length, 4096);
  const encoded = encodeURIComponent(url);
  assert.ok(encoded.length > 36_000, String(encoded.length));
  for (const path of [`/things/${encoded}`, `/things?url=${encoded}`]) {
    const res = await fetch(`${address}${path}`);
    assert.equal(res.status, 200, `${path.slice(0, 12)}: ${await res.clone().text()}`);
    assert.deepEqual(await res.json(), { length: 4096 });
  }
});

test('a 405 names the methods of the route that owns the path: a static route outranks a parametric one', async (t) => {
  const app = Fastify({ logger: false });
  await app.register(problemPlugin);
  app.get('/lists/events', async () => 'stream');
  app.get('/lists/:name', async () => 'list');
  app.put('/lists/:name', async () => 'saved');
  app.delete('/lists/:name', async () => 'gone');
  t.after(() => app.close());
  for (const method of ['OPTIONS', 'POST', 'PATCH'] as const) {
    const res = await app.inject({ method, url: '/lists/events' });
    assert.equal(res.statusCode, 405, method);
    assert.equal(res.headers['allow'], 'GET, HEAD', `${method} /lists/events is served by the static route, whatever /lists/:name allows`);
    assert.equal(res.json().code, 'REPUTE_HTTP_METHOD_NOT_ALLOWED');
  }
  // Any other name is the parametric route's, with every method it has.
  const other = await app.inject({ method: 'OPTIONS', url: '/lists/mine' });
  assert.equal(other.statusCode, 405);
  assert.equal(other.headers['allow'], 'GET, HEAD, PUT, DELETE');
});
