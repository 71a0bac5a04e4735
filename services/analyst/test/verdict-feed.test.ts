import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { harness, message, until } from './helpers.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const FILE = 'ef'.repeat(32);

/** Reads a text/event-stream into parsed `verdict` events until aborted. */
function follow(body: ReadableStream<Uint8Array>): { events: any[]; comments: string[] } {
  const out = { events: [] as any[], comments: [] as string[] };
  void (async () => {
    let buffer = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) out.comments.push(block);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: verdict') && data !== undefined) out.events.push(JSON.parse(data.slice(6)));
        }
      }
    } catch {
      // Aborted at the end of the test.
    }
  })();
  return out;
}

test('GET /v1/feed/verdicts streams every verdict change to analysts, overrides included', async (t) => {
  const h = await harness(t);
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const analyst = await h.key('t1', ['analyst']);
  const lookup = await h.key('t1', ['lookup']);
  assert.equal((await fetch(`${url}/v1/feed/verdicts`)).status, 401);
  const refused = await fetch(`${url}/v1/feed/verdicts`, { headers: { authorization: `Bearer ${lookup}` } });
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);

  const abort = new AbortController();
  t.after(() => abort.abort());
  const res = await fetch(`${url}/v1/feed/verdicts`, { headers: { authorization: `Bearer ${analyst}`, accept: 'text/event-stream' }, signal: abort.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const feed = follow(res.body!);
  await until('the connected comment', () => feed.comments.length > 0);

  // Two other tenants' telemetry convicts the file: the verdict is global, so the feed says so.
  await h.correlator.handle([1, 2].map((i) => message({ sensor: `s${i}`, type: 'detection', file: { sha256: FILE }, verdict: { engine: `av${i}`, category: 'malicious' } }, `t${i + 1}`)));
  await until('the conviction on the feed', () => feed.events.some((e) => e.value === FILE && e.verdict === 'malicious'));
  const convicted = feed.events.find((e) => e.verdict === 'malicious')!;
  assert.equal(convicted.kind, 'file');
  assert.equal(convicted.type, 'verdict_changed');
  assert.match(convicted.id, /^\d+-\d+$/);
  assert.equal(typeof convicted.score, 'number');
  assert.deepEqual(Object.keys(convicted).sort(), ['digest', 'id', 'kind', 'score', 'time', 'type', 'value', 'verdict', 'version'], 'no tenant, sensor or count travels on the feed');

  const put = await h.send('PUT', `/v1/overrides/file/${FILE}`, analyst, { verdict: 'clean', reason: 'vendor tool' });
  assert.equal(put.status, 200, put.text);
  await until('the override on the feed', () => feed.events.some((e) => e.value === FILE && e.verdict === 'clean'));
  const ids = feed.events.map((e) => e.id);
  assert.deepEqual([...ids].sort((a, b) => (BigInt(a.replace('-', '')) < BigInt(b.replace('-', '')) ? -1 : 1)), ids, 'events arrive in stream order');
});

test('the console is served with a strict content security policy', async (t) => {
  const h = await harness(t);
  const page = await h.app.inject({ url: '/console/' });
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.headers['content-security-policy'] as string, /default-src 'none'; script-src 'self'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const redirect = await h.app.inject({ url: '/console' });
  assert.equal(redirect.statusCode, 301);
  assert.equal(redirect.headers.location, '/console/');
  for (const asset of ['app.js', 'api.js', 'console.css', 'relations-graph.js']) assert.equal((await h.app.inject({ url: `/console/${asset}` })).statusCode, 200, asset);
  assert.equal((await h.app.inject({ url: '/console/../package.json' })).statusCode, 404);
  assert.equal((await h.app.inject({ url: '/console/tsconfig.json' })).statusCode, 404, 'only the console’s own files are served');
});
