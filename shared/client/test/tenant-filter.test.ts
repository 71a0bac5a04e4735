import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { closeTestServices } from '@repute/infra/testkit';
import { createOverlayStore } from '@repute/store';
import { createClient } from '../src/index.ts';
import { randomSha, startEdge, until } from './helpers.ts';

after(closeTestServices);

test("filter first with a tenant overlay: the tenant's own blocks of unrecorded indicators reach the service, others' do not", async (t) => {
  const edge = await startEdge(t);
  const overlays = createOverlayStore(edge.redis, edge.store);
  const blockedFile = randomSha();
  const blockedMd5 = randomBytes(16).toString('hex');
  await overlays.add('acme', { list: 'block', kind: 'file', value: blockedFile });
  await overlays.add('acme', { list: 'block', kind: 'file', value: blockedMd5 });
  await overlays.add('acme', { list: 'block', kind: 'domain', value: 'intranet-bad.example' });
  await overlays.add('acme', { list: 'block', kind: 'cidr', value: '203.0.113.0/25' });
  await overlays.add('acme', { list: 'allow', kind: 'domain', value: 'ours.example' });
  await overlays.add('other', { list: 'block', kind: 'domain', value: 'only-other.example' });
  const key = await edge.createKey();
  // The edge reloads overlays from the stream: wait until it serves this tenant's entries.
  await until('overlay loaded', async () => {
    const res = await fetch(`${edge.url}/v1/filters/domain/tenant`, { headers: { authorization: `Bearer ${key}` } });
    return ((await res.json()) as { block: string[] }).block.length === 1;
  });

  const res = await fetch(`${edge.url}/v1/filters/ip/tenant`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { kind: 'ip', block: [], allow: [], block_networks: ['203.0.113.0/25'], allow_networks: [] });
  const etag = res.headers.get('etag')!;
  assert.equal((await fetch(`${edge.url}/v1/filters/ip/tenant`, { headers: { authorization: `Bearer ${key}`, 'if-none-match': etag } })).status, 304);
  assert.equal((await fetch(`${edge.url}/v1/filters/ip/tenant`)).status, 401);

  const client = createClient({ baseUrl: edge.url, apiKey: key, filters: { publicKey: await edge.publicKeyPem(), refreshIntervalMs: 0 } });
  t.after(() => client.close());
  await client.syncFilters();

  // None of these has a global record, so the filter alone would answer them unknown.
  assert.equal((await client.lookupFile(blockedFile)).verdict, 'malicious');
  assert.equal((await client.lookupFile(blockedMd5)).verdict, 'malicious');
  const sub = await client.lookupUrl('http://a.intranet-bad.example/x');
  assert.equal(sub.verdict, 'malicious');
  assert.equal(sub.source, 'service');
  assert.equal((await client.lookupIp('203.0.113.9')).verdict, 'malicious');
  assert.equal(edge.lookupRequests(), 4);

  // Everything else is still answered by the filter, including another tenant's blocks.
  for (const a of await client.lookupMany([
    { kind: 'file', value: randomSha() },
    { kind: 'file', value: randomBytes(20).toString('hex') },
    { kind: 'domain', value: 'only-other.example' },
    { kind: 'ip', value: '203.0.113.200' },
    { kind: 'domain', value: 'www.ours.example' },
  ])) {
    assert.ok('verdict' in a && a.verdict === 'unknown' && a.source === 'filter');
  }
  assert.equal(edge.lookupRequests(), 4);

  // A block added later reaches the client at its next sync.
  await overlays.add('acme', { list: 'block', kind: 'domain', value: 'later.example' });
  await until('new block served', async () => {
    await client.syncFilters();
    return (await client.lookupDomain('later.example')).verdict === 'malicious';
  });
});

test('filter first with MD5/SHA-1-only records: hits reach the service, unknown hashes stay local', async (t) => {
  const edge = await startEdge(t);
  const md5 = randomBytes(16).toString('hex');
  const sha1 = randomBytes(20).toString('hex');
  await edge.write('file', md5, 'malicious');
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey(), filters: { publicKey: await edge.publicKeyPem(), refreshIntervalMs: 0 } });
  t.after(() => client.close());
  await client.syncFilters();
  // Written after the snapshot: the client learns it from the updates.
  await edge.write('file', sha1, 'suspicious');
  await client.syncFilters();

  const answers = await client.lookupMany([md5, sha1, randomBytes(16).toString('hex'), randomBytes(20).toString('hex')].map((value) => ({ kind: 'file' as const, value })));
  assert.deepEqual(answers.map((a) => ('verdict' in a ? [a.verdict, a.source] : a.status)), [['malicious', 'service'], ['suspicious', 'service'], ['unknown', 'filter'], ['unknown', 'filter']]);
  assert.equal((await client.lookupFile(sha1.toUpperCase())).verdict, 'suspicious');
});
