import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { compareStreamIds } from '@repute/core';
import { closeTestServices } from '@repute/infra/testkit';
import { harness, message, until } from './helpers.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const FILE = 'ef'.repeat(32);

/** One feed event as the route sends it. */
interface FeedEvent { id: string; type: string; kind: string; value: string; verdict: string; score: number | null; [field: string]: unknown }

/** Reads a text/event-stream into parsed `verdict` (and `recent`) events until aborted. */
function follow(body: ReadableStream<Uint8Array>): { events: FeedEvent[]; recent: FeedEvent[]; comments: string[] } {
  const out = { events: [] as FeedEvent[], recent: [] as FeedEvent[], comments: [] as string[] };
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
          if (block.includes('event: recent') && data !== undefined) out.recent.push(JSON.parse(data.slice(6)));
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

test('a feed opened with ?recent=N starts with the newest N changes, oldest first, as the tenant sees them, then follows live', async (t) => {
  const h = await harness(t);
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const analyst = await h.key('t1', ['analyst']);
  const files = ['a1', 'a2', 'a3', 'a4'].map((p) => p.repeat(32));
  // Two tenants convict each of four files; the last only in t1's evidence (its own view).
  for (const file of files.slice(0, 3)) {
    await h.correlator.handle([1, 2].map((i) => message({ sensor: `s${i}`, type: 'detection', file: { sha256: file }, verdict: { engine: `av${i}`, category: 'malicious' } }, `t${i + 1}`)));
  }
  await h.correlator.handle(['av1', 'av2', 'av3'].map((engine, i) => message({ sensor: `s${i}`, type: 'detection', file: { sha256: files[3]! }, verdict: { engine, category: 'malicious' } }, 't1')));
  const open = async (query: string) => {
    const abort = new AbortController();
    t.after(() => abort.abort());
    return fetch(`${url}/v1/feed/verdicts${query}`, { headers: { authorization: `Bearer ${analyst}` }, signal: abort.signal });
  };
  const bad = await open('?recent=1000');
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /recent/);

  const res = await open('?recent=2');
  assert.equal(res.status, 200);
  const feed = follow(res.body!);
  await until('the recent changes', () => feed.recent.length >= 2);
  assert.deepEqual(feed.recent.map((e) => e.value), [files[2], files[3]], 'the newest two, oldest first');
  assert.equal(feed.recent[1]?.verdict, 'malicious', 't1 is told its own view of the file only its evidence convicts');
  assert.ok(compareStreamIds(feed.recent[0]!.id, feed.recent[1]!.id) < 0);
  // Then live changes, as `verdict` events, none of them repeated.
  await h.correlator.handle([1, 2].map((i) => message({ sensor: `s${i}`, type: 'detection', file: { sha256: 'b5'.repeat(32) }, verdict: { engine: `av${i}`, category: 'malicious' } }, `t${i + 1}`)));
  await until('the live change', () => feed.events.some((e) => e.value === 'b5'.repeat(32)));
  assert.deepEqual(feed.events.filter((e) => files.includes(e.value)), []);
  // Without the parameter, nothing from before.
  const plain = follow((await open('')).body!);
  await until('connected', () => plain.comments.length > 0);
  assert.deepEqual(plain.recent, []);
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
