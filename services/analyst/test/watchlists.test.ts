import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { hostname } from 'node:os';
import { createWebhookSender } from '../src/watchlists/webhook-sender.ts';
import { verifyWebhook } from '../src/watchlists/webhook-signature.ts';
import { harness, message, until } from './helpers.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const FILE = '5e'.repeat(32);
const SECRET = 'a-webhook-secret-of-some-length';

test('a watched indicator’s verdict change reaches a signed webhook (after a retried failure) and the SSE stream', async (t) => {
  const h = await harness(t);
  // A real receiver on loopback: fails the first attempt, then checks each signature.
  const received: { body: any; valid: boolean }[] = [];
  let attempts = 0;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      attempts++;
      if (attempts === 1) { res.writeHead(503).end(); return; }
      const valid = verifyWebhook(SECRET, String(req.headers['x-repute-timestamp']), body, String(req.headers['x-repute-signature']));
      received.push({ body: JSON.parse(body), valid });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => receiver.close(() => r())));
  const port = (receiver.address() as AddressInfo).port;

  const tenant = await h.key('t1', ['lookup']);
  const other = await h.key('t2', ['lookup']);
  const put = await h.send('PUT', '/v1/watchlists/incident-42', tenant, { indicators: [{ kind: 'file', value: FILE }], webhook: { url: `http://127.0.0.1:${port}/hook`, secret: SECRET } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.webhook, { url: `http://127.0.0.1:${port}/hook`, has_secret: true });
  assert.equal(JSON.stringify(put.body).includes(SECRET), false);
  assert.equal((await h.get('/v1/watchlists/incident-42', tenant)).body.indicators[0].verdict, 'unknown');

  // SSE clients of both tenants on a real listener.
  const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const sse = (key: string) => {
    const events: any[] = [];
    let res: IncomingMessage | undefined;
    const req = httpRequest(`${address}/v1/watchlists/events`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } }, (r) => {
      res = r;
      let buffer = '';
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data !== undefined) events.push(JSON.parse(data.slice(6)));
        }
      });
    });
    req.end();
    t.after(() => { req.destroy(); });
    return { events, connected: () => res !== undefined };
  };
  const mine = sse(tenant);
  const theirs = sse(other);
  await until('both SSE streams to connect', () => mine.connected() && theirs.connected());

  // The real correlator convicts the file.
  await h.correlator.handle([1, 2, 3].map((i) => message({ sensor: `s${i}`, type: 'detection', file: { sha256: FILE }, verdict: { engine: `av${i}`, category: 'malicious' } }, `t${i}`)));

  await until('the SSE event', () => mine.events.length > 0);
  assert.equal(mine.events[0].verdict, 'malicious');
  assert.equal(mine.events[0].watchlist, 'incident-42');
  assert.equal(mine.events[0].value, FILE);
  await until('the webhook delivery', () => received.length > 0);
  assert.equal(received[0]!.valid, true, 'the HMAC-SHA256 signature over timestamp and body verifies');
  assert.equal(received[0]!.body.verdict, 'malicious');
  assert.equal(received[0]!.body.kind, 'file');
  assert.equal(attempts, 2, 'the 503 was retried');
  assert.deepEqual(theirs.events, [], 'another tenant’s stream carries nothing of it');
  assert.equal((await h.get('/v1/watchlists/incident-42', tenant)).body.indicators[0].verdict, 'malicious');

  assert.equal((await h.send('DELETE', '/v1/watchlists/incident-42', tenant)).status, 204);
  assert.equal((await h.get('/v1/watchlists/incident-42', tenant)).status, 404);
});

test('watchlist input is checked field by field', async (t) => {
  const h = await harness(t, { ANALYST_WEBHOOK_ALLOW_PRIVATE: 'false' });
  const key = await h.key('t1', ['lookup']);
  const bad = async (payload: object, field: string, status = 400) => {
    const res = await h.send('PUT', '/v1/watchlists/x', key, payload);
    assert.equal(res.status, status, res.text);
    assert.ok(res.body.errors.some((e: { field: string }) => e.field === field), `${field}: ${res.text}`);
  };
  await bad({ indicators: [{ kind: 'file', value: 'zz' }] }, 'body.indicators[0].value');
  await bad({ indicators: [{ kind: 'nope', value: 'x' }] }, 'body.indicators[0].kind');
  await bad({ indicators: [{ kind: 'url', value: 'http://x.example/ü' }] }, 'body.indicators[0].value');
  // A well-formed target the policy forbids is 403: literals, and names whatever their case or
  // trailing dot, the machine's own name, metadata services.
  for (const url of ['http://127.0.0.1:9/x', 'http://LOCALHOST.:9/x', 'http://localhost.localdomain/x', `http://${hostname()}:9/x`, 'http://metadata.google.internal/computeMetadata/v1/',
    'http://169.254.169.254/latest/meta-data/', 'http://printer.local/x', 'http://[::1]/x']) {
    await bad({ indicators: [], webhook: { url, secret: SECRET } }, 'body.webhook.url', 403);
  }
  // Spellings outside the document's URL syntax (IPv4 in IPv6, hex shorthand) are refused as such.
  for (const url of ['http://[::ffff:127.0.0.1]/x', 'http://0x7f.1/x', 'ftp://example.com/x', 'http://user@example.com/x']) {
    await bad({ indicators: [], webhook: { url, secret: SECRET } }, 'body.webhook.url');
  }
  await bad({ indicators: [], webhook: { url: 'https://example.com/x', secret: 'short' } }, 'body.webhook.secret');
  assert.equal((await h.send('PUT', '/v1/watchlists/bad name', key, { indicators: [] })).status, 400);
  // The event stream's path is no list name: every method but its own is a 405 naming them.
  for (const method of ['PUT', 'DELETE', 'OPTIONS'] as const) {
    const res = await h.app.inject({ method, url: '/v1/watchlists/events', headers: { authorization: `Bearer ${key}` }, ...(method === 'PUT' ? { payload: { indicators: [] } } : {}) });
    assert.equal(res.statusCode, 405, `${method}: ${res.body}`);
    assert.equal(res.headers['allow'], 'GET, HEAD', method);
  }
});

test('watchlists and disputes count against the key’s quota and rate limit, and each tenant has caps', async (t) => {
  const h = await harness(t, { ANALYST_TENANT_MAX_WATCHLISTS: '2', ANALYST_TENANT_MAX_WATCHED: '5', ANALYST_TENANT_MAX_OPEN_DISPUTES: '2' });
  const hex = (c: string) => c.repeat(64);
  const key = await h.key('capped', ['lookup']);
  const one = await h.send('PUT', '/v1/watchlists/one', key, { indicators: [{ kind: 'file', value: hex('1') }, { kind: 'file', value: hex('2') }] });
  assert.equal(one.status, 200, one.text);
  assert.equal((await h.send('PUT', '/v1/watchlists/two', key, { indicators: [{ kind: 'file', value: hex('3') }] })).status, 200);
  const third = await h.send('PUT', '/v1/watchlists/three', key, { indicators: [{ kind: 'file', value: hex('4') }] });
  assert.equal(third.status, 409, third.text);
  assert.equal(third.body.code, 'REPUTE_ANALYST_TENANT_LIMIT');
  assert.equal(third.body.errors[0].field, 'params.name');
  // Replacing a list is no new list; but the tenant's watched total is capped over all of them.
  const many = await h.send('PUT', '/v1/watchlists/two', key, { indicators: ['3', '4', '5', '6'].map((c) => ({ kind: 'file', value: hex(c) })) });
  assert.equal(many.status, 409, many.text);
  assert.equal(many.body.errors[0].field, 'body.indicators');
  assert.equal((await h.send('PUT', '/v1/watchlists/two', key, { indicators: ['3', '4', '5'].map((c) => ({ kind: 'file', value: hex(c) })) })).status, 200);
  assert.deepEqual((await h.get('/v1/watchlists', key)).body.items.sort(), ['one', 'two']);
  // Another tenant has caps of its own.
  const other = await h.key('other', ['lookup']);
  assert.equal((await h.send('PUT', '/v1/watchlists/three', other, { indicators: [{ kind: 'file', value: hex('4') }] })).status, 200);

  for (const c of ['a', 'b']) {
    const d = await h.send('POST', '/v1/disputes', key, { kind: 'file', value: hex(c), requested_verdict: 'clean', reason: 'ours' });
    assert.equal(d.status, 201, d.text);
  }
  const past = await h.send('POST', '/v1/disputes', key, { kind: 'file', value: hex('c'), requested_verdict: 'clean', reason: 'ours' });
  assert.equal(past.status, 409, past.text);
  assert.equal(past.body.code, 'REPUTE_ANALYST_TENANT_LIMIT');

  // A key past its daily quota is refused here as on every other route, and nothing is stored.
  const quota = await h.key('quota', ['lookup'], { dailyQuota: 3 });
  for (let i = 0; i < 3; i++) assert.equal((await h.get('/v1/watchlists', quota)).status, 200);
  const refused = await h.send('PUT', '/v1/watchlists/late', quota, { indicators: [{ kind: 'file', value: hex('7') }] });
  assert.equal(refused.status, 429, refused.text);
  assert.equal(refused.body.code, 'REPUTE_AUTH_QUOTA_EXCEEDED');
  assert.equal((await h.send('POST', '/v1/disputes', quota, { kind: 'file', value: hex('7'), requested_verdict: 'clean', reason: 'late' })).status, 429);
  const slow = await h.key('quota', ['lookup'], { rateLimitPerMinute: 2 });
  for (let i = 0; i < 2; i++) assert.equal((await h.get('/v1/disputes', slow)).status, 200);
  const limited = await h.send('PUT', '/v1/watchlists/late', slow, { indicators: [{ kind: 'file', value: hex('7') }] });
  assert.equal(limited.status, 429, limited.text);
  assert.equal(limited.body.code, 'REPUTE_AUTH_RATE_LIMITED');
  const fresh = await h.key('quota', ['lookup']);
  assert.deepEqual((await h.get('/v1/watchlists', fresh)).body.items, []);
  assert.deepEqual((await h.get('/v1/disputes', fresh)).body.items, []);
});

test('webhooks are resolved at delivery and never reach a non-public address, by name or by redirect', async (t) => {
  const hits: string[] = [];
  const receiver = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/redirect') res.writeHead(302, { location: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/landed` }).end();
    else res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  const port = (receiver.address() as AddressInfo).port;
  const deliver = async (url: string, allowPrivate: boolean): Promise<string> => {
    const outcomes: string[] = [];
    const sender = createWebhookSender({ maxAttempts: 2, baseDelayMs: 10, timeoutMs: 2000, maxPending: 10, allowPrivate, onOutcome: (o) => outcomes.push(o) });
    sender.send({ url, secret: SECRET }, '{}');
    await until(`an outcome for ${url}`, () => outcomes.length > 0);
    await sender.close();
    return outcomes[0]!;
  };
  // Names that resolve to loopback (this machine's hosts file): refused before any byte is sent.
  assert.equal(await deliver(`http://localhost:${port}/by-name`, false), 'refused');
  assert.equal(await deliver(`http://${hostname()}:${port}/by-machine-name`, false), 'refused');
  assert.equal(await deliver(`http://127.0.0.1:${port}/literal`, false), 'refused');
  assert.deepEqual(hits, []);
  // A redirect is an answer, never followed.
  assert.equal(await deliver(`http://127.0.0.1:${port}/redirect`, true), 'failed');
  assert.deepEqual(hits, ['/redirect']);
  assert.equal(await deliver(`http://127.0.0.1:${port}/ok`, true), 'delivered');
});
