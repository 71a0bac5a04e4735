import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { digestOf } from '@repute/core';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import { loadSigningKeys, rebuildFilter } from '@repute/store';
import { buildEdge, createKey, edgeConfig, metricTotal, record, sha, until, writer } from './helpers.ts';

after(closeTestServices);

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

test('MD5/SHA-1-only records: answered single and in batches, negatives never reach Redis, worst verdict wins once a SHA-256 is known', async (t) => {
  const config = edgeConfig(await testRedisUrl());
  const w = writer(config);
  t.after(() => w.redis.quit());
  // One written before the edge starts (in its first filter), one after (through the stream).
  const md5 = hex(16);
  const sha1 = hex(20);
  await w.store.write(record('file', md5, 'malicious'));
  const app = await buildEdge(config);
  t.after(() => app.close());
  const auth = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
  await w.store.write(record('file', sha1.toUpperCase(), 'suspicious'));

  const single = async (value: string) => (await app.inject({ url: `/v1/reputation/file/${value}`, headers: auth })).json();
  await until('sha1 record reached the edge', async () => (await single(sha1)).verdict === 'suspicious');
  const byMd5 = await single(md5.toUpperCase());
  assert.equal(byMd5.verdict, 'malicious');
  assert.equal(byMd5.value, md5);
  assert.deepEqual(byMd5.matched, { kind: 'file', value: md5, role: 'exact' });

  const unknownMd5 = hex(16);
  const unknownSha1 = hex(20);
  const batch = await app.inject({
    method: 'POST', url: '/v1/reputation/batch', headers: auth,
    payload: { indicators: [md5, unknownMd5, sha1, unknownSha1].map((value) => ({ kind: 'file', value })) },
  });
  assert.equal(batch.statusCode, 200);
  assert.deepEqual(batch.json().results.map((r: { verdict?: string; status: string }) => r.verdict ?? r.status), ['malicious', 'unknown', 'suspicious', 'unknown']);

  // Unknown MD5/SHA-1s are filter negatives: no Redis round trip, single or batch.
  const trips = await metricTotal(app, 'repute_edge_redis_round_trips_total');
  assert.equal((await single(hex(16))).verdict, 'unknown');
  assert.equal((await single(hex(20))).verdict, 'unknown');
  const negatives = await app.inject({
    method: 'POST', url: '/v1/reputation/batch', headers: auth,
    payload: { indicators: Array.from({ length: 50 }, (_, i) => ({ kind: 'file', value: hex(i % 2 === 0 ? 16 : 20) })) },
  });
  assert.ok(negatives.json().results.every((r: { status: string }) => r.status === 'unknown'));
  assert.equal(await metricTotal(app, 'repute_edge_redis_round_trips_total'), trips);

  // A SHA-256 becomes known for the SHA-1: its record is shown when it is as bad or worse...
  const target = sha(`target-${sha1}`);
  await w.store.write(record('file', target, 'malicious'));
  await w.store.writeAlias('sha1', sha1, target);
  await until('alias followed', async () => (await single(sha1)).verdict === 'malicious');
  assert.deepEqual((await single(sha1)).matched, { kind: 'file', value: sha1, role: 'alias' });
  // ...and the hash's own record still counts when the SHA-256 record is milder.
  await w.store.write(record('file', target, 'clean', 2));
  await until('sha256 record turned clean', async () => (await single(target)).verdict === 'clean');
  const worst = await single(sha1);
  assert.equal(worst.verdict, 'suspicious');
  assert.equal(worst.matched.role, 'exact');

  // A rebuilt filter holds them (the records are keyed by the alias digest) and no stray bits.
  const built = await rebuildFilter(w.store, 'file', await loadSigningKeys(w.redis, config.REDIS_KEY_PREFIX), { capacity: 10_000, fpr: 0.001 });
  assert.ok(built.filter.has(digestOf('file', md5)) && built.filter.has(digestOf('file', sha1)));
  assert.ok(!built.filter.has(digestOf('file', unknownMd5)));
});
