import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { closeTestServices } from '@repute/infra/testkit';
import { decodeSnapshot } from '@repute/store';
import { createClient, FilterVerificationError, verifySnapshot, type Answer } from '../src/index.ts';
import { randomSha, record, sha, startEdge, until } from './helpers.ts';

after(closeTestServices);

test('filter first: definite negatives never reach the service; hits, URL expressions and host domains do', async (t) => {
  const edge = await startEdge(t);
  const bad = sha('known-bad');
  await edge.write('file', bad, 'malicious');
  await edge.write('domain', 'evil.example', 'malicious');
  await edge.write('url', 'phish.example/login/', 'suspicious');
  await edge.app.edgeFilterJobs.rebuild();
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey(), filters: { publicKey: await edge.publicKeyPem(), refreshIntervalMs: 0 } });
  t.after(() => client.close());
  await client.syncFilters();
  assert.deepEqual(client.filterStatus().map((s) => s.kind).sort(), ['domain', 'file', 'ip', 'url']);

  const negatives = [
    ...Array.from({ length: 300 }, () => ({ kind: 'file' as const, value: randomSha() })),
    { kind: 'url' as const, value: 'http://clean.example/some/path?q=1' },
    { kind: 'domain' as const, value: 'www.fine.example' },
    { kind: 'ip' as const, value: '192.0.2.44' },
  ];
  const answers = await client.lookupMany(negatives) as Answer[];
  assert.ok(answers.every((a) => a.verdict === 'unknown' && a.source === 'filter' && a.status === 'confirmed'));
  assert.equal((await client.lookupUrl('https://www.clean.example/')).source, 'filter');
  assert.equal(edge.lookupRequests(), 0, 'no negative reached the service');

  assert.equal((await client.lookupFile(bad)).verdict, 'malicious');
  // A URL below a malicious domain, and one below a listed path prefix, are filter hits.
  const below = await client.lookupUrl('http://cdn.evil.example/x/y.exe');
  assert.equal(below.verdict, 'malicious');
  assert.equal(below.matched?.value, 'evil.example');
  assert.equal((await client.lookupUrl('http://phish.example/login/step2?id=9')).verdict, 'suspicious');
  assert.equal(edge.lookupRequests(), 3);
  const stats = client.stats();
  assert.equal(stats.savedByFilter, 304);
  assert.equal(stats.remote, 3);
  assert.equal(stats.lookups, 307);
});

test('the client reader agrees with the service filter on the snapshot the edge serves', async (t) => {
  const edge = await startEdge(t);
  const known = Array.from({ length: 200 }, () => randomSha());
  for (const h of known) await edge.store.write(record('file', h, 'malicious'));
  await edge.app.edgeFilterJobs.rebuild(['file']);
  const res = await fetch(`${edge.url}/v1/filters/file`, { headers: { authorization: `Bearer ${await edge.createKey()}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  const ours = verifySnapshot(bytes, 'file', createPublicKey(await edge.publicKeyPem()));
  const theirs = decodeSnapshot(bytes);
  assert.equal(ours.position, res.headers.get('x-repute-stream-position'));
  for (const h of known) assert.equal(ours.filter.has(Buffer.from(h, 'hex')), true);
  for (let i = 0; i < 5000; i++) {
    const d = randomBytes(32);
    assert.equal(ours.filter.has(d), theirs.filter.has(d));
  }
});

test('a tampered snapshot or one signed by another key is rejected, and lookups go to the service', async (t) => {
  const edge = await startEdge(t);
  const apiKey = await edge.createKey();
  const pinned = await edge.publicKeyPem();
  // A man in the middle that rewrites one byte of the file snapshot.
  const tamper = (offset: number): typeof fetch => async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input).endsWith('/v1/filters/file')) return res;
    const body = Buffer.from(await res.arrayBuffer());
    body[offset === -1 ? body.length - 1 : offset]! ^= 0x01;
    return new Response(body, { status: res.status, headers: res.headers });
  };
  const cases: [string, Parameters<typeof createClient>[0]['filters'], typeof fetch | undefined][] = [
    ['REPUTE_CLIENT_SNAPSHOT_CORRUPT', { publicKey: pinned, kinds: ['file'] }, tamper(-1)],
    ['REPUTE_CLIENT_SNAPSHOT_SIGNATURE', { publicKey: pinned, kinds: ['file'] }, tamper(20)],
    ['REPUTE_CLIENT_SNAPSHOT_SIGNATURE', { publicKey: generateKeyPairSync('ed25519').publicKey, kinds: ['file'] }, undefined],
  ];
  for (const [code, filters, fetchImpl] of cases) {
    const client = createClient({ baseUrl: edge.url, apiKey, filters: { ...filters, refreshIntervalMs: 0 }, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
    t.after(() => client.close());
    await assert.rejects(client.syncFilters(), (err: unknown) => err instanceof FilterVerificationError && err.code === code);
    assert.deepEqual(client.filterStatus(), []);
    const before = edge.lookupRequests();
    assert.equal((await client.lookupFile(randomSha())).source, 'service', 'without a filter the service answers');
    assert.equal(edge.lookupRequests(), before + 1);
  }
});

test('delta updates make a new record a filter hit without a new snapshot; 410 takes a new one', async (t) => {
  const edge = await startEdge(t);
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey(), filters: { kinds: ['file'], publicKey: await edge.publicKeyPem(), refreshIntervalMs: 0 } });
  t.after(() => client.close());
  await client.syncFilters();
  const fresh = sha('written-after-the-snapshot');
  assert.equal((await client.lookupFile(fresh)).source, 'filter');

  await edge.write('file', fresh, 'malicious');
  await client.syncFilters();
  const answer = await client.lookupFile(fresh);
  assert.equal(answer.source, 'service');
  assert.equal(answer.verdict, 'malicious');
  assert.equal(edge.count('GET /v1/filters/:kind'), 1, 'one snapshot download');
  assert.ok(edge.count('GET /v1/filters/:kind/updates') >= 2);
  const position = client.filterStatus()[0]!.position;
  assert.notEqual(position, '0-0');

  // The service trims its stream past our position: the snapshot it serves is older than what
  // it still keeps, so the client drops the filter rather than answer from a gap.
  for (let i = 0; i < 3; i++) await edge.write('file', sha(`later-${i}`), 'malicious');
  await edge.redis.xtrim(`${edge.config.REDIS_KEY_PREFIX}rep:updates`, 'MAXLEN', 1);
  await assert.rejects(client.syncFilters(), { status: 410 });
  assert.deepEqual(client.filterStatus(), []);
  assert.equal((await client.lookupFile(sha('later-0'))).verdict, 'malicious');

  await edge.app.edgeFilterJobs.rebuild(['file']);
  await client.syncFilters();
  assert.equal(client.filterStatus().length, 1);
  assert.equal((await client.lookupFile(randomSha())).source, 'filter');
  assert.equal((await client.lookupFile(sha('later-1'))).verdict, 'malicious');
  await until('snapshot retaken', () => edge.count('GET /v1/filters/:kind') >= 3);
});
