import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decode, encode, RECURSION_DESIRED } from 'dns-packet';
import type { FastifyInstance } from 'fastify';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import { loadSigningKeys, rebuildFilter } from '@repute/store';
import type { DnsConfig } from '../src/config.ts';
import { buildDns, dig, dnsConfig, exchange, record, until, writer } from './helpers.ts';

// Answers to repeated questions are re-served encoded while the records they were decided from
// stand. These tests change those records (and the filters that ruled names out) through the
// store's write path and check that no cached answer outlives the change.
let app: FastifyInstance;
let port: number;
let config: DnsConfig;
let w: ReturnType<typeof writer>;
const Z = 'bl.test.example';

before(async () => {
  config = dnsConfig(await testRedisUrl());
  w = writer(config);
  await w.store.write(record('ip', '198.51.100.10', 'malicious', { categories: ['spam'] }));
  // A stored filter snapshot, as the edge keeps one: unlisted addresses are ruled out without Redis.
  await rebuildFilter(w.store, 'ip', await loadSigningKeys(w.redis, config.REDIS_KEY_PREFIX), { capacity: 10_000, fpr: 0.001 });
  ({ app, port } = await buildDns(config));
});
after(async () => {
  await app?.close();
  await w?.redis.quit();
  await closeTestServices();
});

const addresses = (p: ReturnType<typeof decode>): unknown[] => (p.answers ?? []).map((a) => (a.type === 'A' ? a.data : a.type));

async function answerCacheHits(): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  return Number(/^repute_dns_answer_cache_hits_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
}

test('a repeated question is answered from the cache with the asker’s own ID, RD flag and spelling of the name', async () => {
  const first = decode(await exchange(port, encode({ type: 'query', id: 101, flags: RECURSION_DESIRED, questions: [{ type: 'A', name: `10.100.51.198.${Z}` }] })));
  const hitsBefore = await answerCacheHits();
  // 0x20: resolvers randomise the case of the name and expect it back as sent.
  const mixed = `10.100.51.198.bL.TeSt.ExamPLE`;
  const again = decode(await exchange(port, encode({ type: 'query', id: 202, flags: 0, questions: [{ type: 'A', name: mixed }] })));
  assert.equal(await answerCacheHits(), hitsBefore + 1);
  assert.equal(first.id, 101);
  assert.equal(again.id, 202);
  assert.equal(((first.flags ?? 0) & RECURSION_DESIRED) !== 0, true);
  assert.equal(((again.flags ?? 0) & RECURSION_DESIRED) !== 0, false);
  assert.equal(again.questions?.[0]?.name, mixed);
  assert.deepEqual(addresses(again), addresses(first));
  assert.deepEqual(addresses(again), ['127.0.0.2', '127.0.0.6']);
  // TXT for the same name is its own question.
  assert.equal((await dig(port, `10.100.51.198.${Z}`, 'TXT')).answers[0]?.type, 'TXT');
});

test('a name a filter ruled out is listed as soon as its record is written, though its NXDOMAIN was cached', async () => {
  const name = `77.100.51.198.${Z}`;
  assert.equal((await dig(port, name)).status, 'NXDOMAIN');
  const hitsBefore = await answerCacheHits();
  assert.equal((await dig(port, name)).status, 'NXDOMAIN');
  assert.ok((await answerCacheHits()) > hitsBefore, 'the second NXDOMAIN came from the answer cache');
  await w.store.write(record('ip', '198.51.100.77', 'malicious'));
  await until('the new listing', async () => (await dig(port, name)).status === 'NOERROR');
});

test('a cached listing follows every later version of its record, and its removal', async () => {
  const name = `10.100.51.198.${Z}`;
  assert.deepEqual((await dig(port, name)).answers.map((a) => a.data), ['127.0.0.2', '127.0.0.6']);
  await w.store.write(record('ip', '198.51.100.10', 'suspicious', { version: 2 }));
  await until('the downgrade', async () => (await dig(port, name)).answers.map((a) => a.data).join() === '127.0.0.3');
  await w.store.write(record('ip', '198.51.100.10', 'clean', { version: 3 }));
  await until('the delisting', async () => (await dig(port, name)).status === 'NXDOMAIN');
  await w.store.write(record('ip', '198.51.100.10', 'malicious', { version: 4 }));
  await until('the relisting', async () => (await dig(port, name)).status === 'NOERROR');
  await w.store.remove('ip', '198.51.100.10');
  await until('the removal', async () => (await dig(port, name)).status === 'NXDOMAIN');
});
