import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, test } from 'node:test';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import { decodeSnapshot, loadSigningKeys, rebuildFilter } from '@repute/store';
import { buildEdge, createKey, edgeConfig, record, sha, until, writer } from './helpers.ts';

after(closeTestServices);

test('tenant overlays: block wins over the global verdict, allow turns it clean, only for that tenant', async (t) => {
  const config = edgeConfig(await testRedisUrl());
  const w = writer(config);
  t.after(() => w.redis.quit());
  await w.store.write(record('domain', 'shared-cdn.example', 'malicious'));
  const app = await buildEdge(config);
  t.after(() => app.close());
  const acme = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
  const other = { authorization: `Bearer ${(await createKey(config, 'other')).key}` };

  await w.overlays.add('acme', { list: 'allow', kind: 'domain', value: 'shared-cdn.example', note: 'our CDN' });
  await w.overlays.add('acme', { list: 'block', kind: 'cidr', value: '203.0.113.0/25' });
  await w.overlays.add('acme', { list: 'block', kind: 'url', value: 'http://intranet.example/forbidden/' });

  await until('overlay loaded', async () => (await app.inject({ url: '/v1/reputation/domain/cdn1.shared-cdn.example', headers: acme })).json().verdict === 'clean');
  const allowed = (await app.inject({ url: '/v1/reputation/domain/cdn1.shared-cdn.example', headers: acme })).json();
  assert.deepEqual(allowed.overlay, { list: 'allow', kind: 'domain', value: 'shared-cdn.example', note: 'our CDN' });
  assert.equal(allowed.matched.value, 'shared-cdn.example', 'the global record is still shown');
  assert.equal((await app.inject({ url: '/v1/reputation/domain/cdn1.shared-cdn.example', headers: other })).json().verdict, 'malicious');

  const blockedIp = (await app.inject({ url: '/v1/reputation/ip/203.0.113.9', headers: acme })).json();
  assert.equal(blockedIp.verdict, 'malicious');
  assert.equal(blockedIp.overlay.value, '203.0.113.0/25');
  assert.equal((await app.inject({ url: '/v1/reputation/ip/203.0.113.200', headers: acme })).json().verdict, 'unknown');

  const blockedUrl = (await app.inject({ url: `/v1/reputation/url?url=${encodeURIComponent('http://intranet.example/forbidden/page.html')}`, headers: acme })).json();
  assert.equal(blockedUrl.verdict, 'malicious');
  assert.equal(blockedUrl.overlay.kind, 'url');

  // Block beats allow for the same value.
  await w.overlays.add('acme', { list: 'block', kind: 'domain', value: 'cdn1.shared-cdn.example' });
  await until('block applied', async () => (await app.inject({ url: '/v1/reputation/domain/cdn1.shared-cdn.example', headers: acme })).json().verdict === 'malicious');
});

test('snapshot + stream handover: updates written before and during start-up are all served', async (t) => {
  const config = edgeConfig(await testRedisUrl());
  const w = writer(config);
  t.after(() => w.redis.quit());
  const keys = await loadSigningKeys(w.redis, config.REDIS_KEY_PREFIX);
  const inSnapshot = sha('in-snapshot');
  await w.store.write(record('file', inSnapshot, 'malicious'));
  for (const kind of ['file', 'url', 'domain', 'ip'] as const) await rebuildFilter(w.store, kind, keys, { capacity: 10_000, fpr: 0.001 });
  // After the snapshot: only the stream knows about these.
  const afterSnapshot = sha('after-snapshot');
  await w.store.write(record('file', afterSnapshot, 'suspicious'));
  // While the edge starts: a writer keeps going.
  const during: string[] = [];
  let writing = true;
  const writerLoop = (async () => {
    for (let i = 0; writing && i < 2000; i++) {
      const h = sha(`during-${i}`);
      await w.store.write(record('file', h, 'malicious'));
      during.push(h);
    }
  })();
  const app = await buildEdge(config);
  t.after(() => app.close());
  writing = false;
  await writerLoop;
  const auth = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
  const last = during[during.length - 1]!;
  await until('last write seen', async () => (await app.inject({ url: `/v1/reputation/file/${last}`, headers: auth })).json().verdict === 'malicious');

  const all = [inSnapshot, afterSnapshot, ...during].map((value) => ({ kind: 'file', value }));
  for (let i = 0; i < all.length; i += 1000) {
    const res = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: auth, payload: { indicators: all.slice(i, i + 1000) } });
    const statuses = res.json().results.map((r: { status: string }) => r.status);
    assert.ok(statuses.every((s: string) => s === 'found'), `every record is answered (batch at ${i})`);
  }

  // Agents: signed snapshot, ETag, and the updates since its position.
  const snap = await app.inject({ url: '/v1/filters/file', headers: auth });
  assert.equal(snap.statusCode, 200);
  assert.equal(snap.headers['content-type'], 'application/octet-stream');
  const position = String(snap.headers['x-repute-stream-position']);
  const pem = (await app.inject({ url: '/v1/filters/public-key' })).json().public_key;
  const decoded = decodeSnapshot(snap.rawPayload, createPublicKey(pem));
  assert.equal(decoded.position, position);
  assert.equal(decoded.filter.has(Buffer.from(inSnapshot, 'hex')), true);
  assert.ok(verify(null, snap.rawPayload.subarray(0, 72), createPublicKey(pem), snap.rawPayload.subarray(72, 136)));
  const again = await app.inject({ url: '/v1/filters/file', headers: { ...auth, 'if-none-match': String(snap.headers['etag']) } });
  assert.equal(again.statusCode, 304);
  const updates = (await app.inject({ url: `/v1/filters/file/updates?since=${position}`, headers: auth })).json();
  assert.ok(updates.additions.includes(afterSnapshot));
  assert.ok(updates.additions.includes(last));
  await w.store.remove('file', afterSnapshot);
  const removal = (await app.inject({ url: `/v1/filters/file/updates?since=${updates.position}`, headers: auth })).json();
  assert.deepEqual(removal.removals, [afterSnapshot]);
  await until('removal served', async () => (await app.inject({ url: `/v1/reputation/file/${afterSnapshot}`, headers: auth })).json().verdict === 'unknown');
});

test('updates since a trimmed position answer 410 problem+json', async (t) => {
  const config = edgeConfig(await testRedisUrl());
  const w = writer(config);
  t.after(() => w.redis.quit());
  const app = await buildEdge(config);
  t.after(() => app.close());
  const auth = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
  for (let i = 0; i < 5; i++) await w.store.write(record('file', sha(`t${i}`), 'malicious'));
  await w.redis.xtrim(`${config.REDIS_KEY_PREFIX}rep:updates`, 'MAXLEN', 1);
  const gone = await app.inject({ url: '/v1/filters/file/updates?since=1-0', headers: auth });
  assert.equal(gone.statusCode, 410);
  assert.equal(gone.json().code, 'REPUTE_EDGE_POSITION_EXPIRED');
  assert.equal(gone.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal((await app.inject({ url: '/v1/filters/file/updates?since=abc', headers: auth })).statusCode, 400);
  // Past what Redis can hold: a 400 naming the field; past the newest update: a 409 with the
  // snapshot to start again from. Never a 503 or an empty 200.
  for (const [since, status] of [['18446744073709551616-0', 400], ['99999999999999999999-99999999999999999999', 400], [`${Date.now() + 86_400_000}-0`, 409]] as const) {
    const res = await app.inject({ url: `/v1/filters/file/updates?since=${since}`, headers: auth });
    assert.equal(res.statusCode, status, `${since}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json().errors[0].field, 'querystring.since');
  }
});

test('an edge whose snapshots are older than what the stream still holds rebuilds its filters at start', async (t) => {
  const config = edgeConfig(await testRedisUrl());
  const w = writer(config);
  t.after(() => w.redis.quit());
  const keys = await loadSigningKeys(w.redis, config.REDIS_KEY_PREFIX);
  await w.store.write(record('file', sha('before-snapshot'), 'malicious'));
  for (const kind of ['file', 'url', 'domain', 'ip'] as const) await rebuildFilter(w.store, kind, keys, { capacity: 10_000, fpr: 0.001 });
  const stale = decodeSnapshot((await w.redis.getBuffer(`${config.REDIS_KEY_PREFIX}rep:filter:file`))!).position;
  // Written after the snapshot, then trimmed from the stream: only the records know them.
  const missed = Array.from({ length: 5 }, (_, i) => sha(`trimmed-away-${i}`));
  for (const h of missed) await w.store.write(record('file', h, 'malicious'));
  await w.redis.xtrim(`${config.REDIS_KEY_PREFIX}rep:updates`, 'MAXLEN', 1);

  const app = await buildEdge(config);
  t.after(() => app.close());
  const auth = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
  const res = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: auth, payload: { indicators: missed.map((value) => ({ kind: 'file', value })) } });
  assert.deepEqual(res.json().results.map((r: { status: string }) => r.status), missed.map(() => 'found'));
  const served = (await app.inject({ url: '/v1/filters/file', headers: auth })).headers['x-repute-stream-position'];
  assert.notEqual(served, stale, 'the rebuilt snapshot replaces the stale one');
});
