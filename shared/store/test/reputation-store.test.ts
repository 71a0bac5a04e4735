import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { digestOf, type ReputationRecord } from '@repute/core';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { createReputationStore, keySlot, loadSigningKeys, rebuildFilter, decodeSnapshot, type UpdateEntry } from '../src/index.ts';

after(closeTestServices);

function fileRecord(hex: string, version: number, verdict: ReputationRecord['verdict'] = 'malicious'): ReputationRecord {
  return {
    kind: 'file', value: hex, verdict, score: 90, confidence: 0.9, categories: ['trojan'],
    firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_100_000, prevalence: { sensors: 3, tenants: 2 },
    reasons: [{ rule: 'av.consensus', weight: 0.8, evidence: 5 }], version, ttl: 300,
  };
}
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

test('key slots follow the Redis Cluster CRC16 (reference vector and hash tags)', () => {
  assert.equal(keySlot('123456789'), 12739);
  assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
});

test('versioned writer: newer wins, older is refused, every change is on the stream', async (t) => {
  const redis = new Redis(await testRedisUrl());
  t.after(() => redis.quit());
  const store = createReputationStore(redis, { prefix: `${uniqueName('store')}:` });
  const hex = sha('a');
  const v2 = await store.write(fileRecord(hex, 2));
  assert.equal(v2.written, true);
  assert.equal(v2.key, `rep:file:${hex}`);
  assert.equal((await store.write(fileRecord(hex, 1, 'clean'))).written, false);
  assert.equal((await store.write(fileRecord(hex, 2, 'clean'))).written, false);
  assert.equal((await store.get(v2.key))?.verdict, 'malicious');
  const v3 = await store.write(fileRecord(hex, 3, 'clean'));
  assert.equal(v3.written, true);
  const [one, missing] = await store.getMany([v2.key, `rep:file:${sha('none')}`]);
  assert.equal(one?.verdict, 'clean');
  assert.equal(missing, null);

  const entries = await store.readUpdates('0-0', 100);
  assert.deepEqual(entries.map((e) => [e.op, e.verdict, e.version]), [['put', 'malicious', 2], ['put', 'clean', 3]]);
  assert.equal(entries[0]?.digest, hex);
  assert.equal(entries[1]?.id, v3.streamId);

  assert.equal((await store.remove('file', hex, 2)).written, false, 'a stale removal keeps the newer record');
  const removed = await store.remove('file', hex);
  assert.equal(removed.written, true);
  assert.equal(await store.get(v2.key), null);
  const last = (await store.readUpdates(v3.streamId!, 10))[0];
  assert.equal(last?.op, 'del');
  assert.deepEqual(await store.digestsWithPrefix('file', hex.slice(0, 8), 10), []);
});

test('prefix index, aliases, tail and a filter rebuild that covers every record', async (t) => {
  const redis = new Redis(await testRedisUrl());
  t.after(() => redis.quit());
  const prefix = `${uniqueName('store')}:`;
  const store = createReputationStore(redis, { prefix });
  const seen: UpdateEntry[] = [];
  const tail = store.tailUpdates({ since: '0-0', blockMs: 200, onEntries: (e) => { seen.push(...e); } });
  t.after(() => tail.stop());
  const hexes = Array.from({ length: 50 }, (_, i) => sha(`k${i}`));
  for (const h of hexes) await store.write(fileRecord(h, 1));
  const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
  await store.writeAlias('md5', md5, hexes[0]!);
  const under = await store.digestsWithPrefix('file', hexes[0]!.slice(0, 8), 10);
  assert.deepEqual(under, [hexes[0]]);
  assert.deepEqual(await store.getManyRaw([`rep:alias:md5:${md5}`]), [hexes[0]]);

  const keys = await loadSigningKeys(redis, prefix);
  const built = await rebuildFilter(store, 'file', keys, { capacity: 1000, fpr: 0.001 });
  const snap = decodeSnapshot(built.bytes, keys.publicKey);
  for (const h of hexes) assert.equal(snap.filter.has(Buffer.from(h, 'hex')), true);
  assert.equal(snap.filter.has(digestOf('file', md5)), true);
  assert.equal(snap.position, (await store.updatesRange()).last);
  const tampered = Buffer.from(built.bytes);
  tampered[200] = (tampered[200]! ^ 1);
  assert.throws(() => decodeSnapshot(tampered, keys.publicKey), { code: 'REPUTE_STORE_SNAPSHOT_CORRUPT' });

  const deadline = Date.now() + 5000;
  while (seen.length < 51 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.equal(seen.length, 51);
  assert.equal(seen[50]?.op, 'alias');
});
