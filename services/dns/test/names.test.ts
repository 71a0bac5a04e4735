import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientNetworks } from '../src/access/client-networks.ts';
import { RateLimiter } from '../src/access/rate-limiter.ts';
import { splitStrings } from '../src/answer/txt.ts';
import { KeyCache } from '../src/records/key-cache.ts';
import { ZoneTable } from '../src/zone/zone-table.ts';

test('zones: the longest apex wins; bindings that do not parse are listed', () => {
  const { table, problems } = ZoneTable.parse('acme.bl.example=acme', 'bl.example');
  assert.deepEqual(problems, []);
  assert.equal(table.match('4.3.2.1.acme.bl.example')?.zone.tenant, 'acme');
  assert.equal(table.match('4.3.2.1.acme.bl.example')?.left, '4.3.2.1');
  assert.equal(table.match('4.3.2.1.bl.example')?.zone.public, true);
  assert.equal(table.match('bl.example')?.left, '');
  assert.equal(table.match('example'), null);
  assert.equal(table.match('xbl.example'), null);
  const bad = ZoneTable.parse('nozone,=t,a.example=,b.example=ok,b.example=again', 'bad zone!');
  assert.equal(bad.problems.length, 5, JSON.stringify(bad.problems));
  assert.equal(ClientNetworks.parse('10.0.0.0/8=a,nonsense=b,10.1.0.0/16').problems.length, 2);
});

test('client networks: the longest prefix wins, IPv4 and IPv6 apart', () => {
  const { networks } = ClientNetworks.parse('10.0.0.0/8=wide,10.1.0.0/16=narrow,2001:db8::/32=six');
  assert.equal(networks.tenantOf(new Uint8Array([10, 1, 2, 3])), 'narrow');
  assert.equal(networks.tenantOf(new Uint8Array([10, 2, 2, 3])), 'wide');
  assert.equal(networks.tenantOf(new Uint8Array([11, 1, 2, 3])), undefined);
  assert.equal(networks.tenantOf(new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0)])), 'six');
});

test('rate limiter: a burst, then the rate; IPv6 counted by /64; the table stays bounded', () => {
  let now = 0;
  const limiter = new RateLimiter({ ratePerSecond: 10, burst: 5, maxClients: 2, now: () => now });
  const a = new Uint8Array([192, 0, 2, 1]);
  for (let i = 0; i < 5; i++) assert.equal(limiter.take(a), true);
  assert.equal(limiter.take(a), false);
  now += 100;
  assert.equal(limiter.take(a), true);
  assert.equal(limiter.take(a), false);
  const v6a = new Uint8Array(16).fill(1);
  const v6b = new Uint8Array(16).fill(1);
  v6b[15] = 9;
  for (let i = 0; i < 5; i++) limiter.take(v6a);
  assert.equal(limiter.take(v6b), false, 'the same /64 shares a bucket');
  assert.equal(new RateLimiter({ ratePerSecond: 0, burst: 1 }).take(a), true);
});

test('key cache: a read that raced an invalidation is not cached; a clear drops reads in flight', () => {
  const cache = new KeyCache(2);
  const t1 = cache.beginRead();
  cache.invalidate('k');
  cache.setFromRead('k', null, t1);
  cache.endRead(t1);
  assert.equal(cache.get('k'), undefined);
  const t2 = cache.beginRead();
  cache.setFromRead('k', null, t2);
  cache.endRead(t2);
  assert.equal(cache.get('k'), null);
  const t3 = cache.beginRead();
  cache.clear();
  cache.setFromRead('j', 'x', t3);
  assert.equal(cache.get('j'), undefined);
  for (const key of ['a', 'b', 'c']) {
    const t = cache.beginRead();
    cache.setFromRead(key, null, t);
    cache.endRead(t);
  }
  assert.equal(cache.size, 2);
});

test('TXT strings are at most 255 bytes and cut between characters', () => {
  const parts = splitStrings('é'.repeat(300));
  assert.ok(parts.every((p) => Buffer.byteLength(p) <= 255));
  assert.equal(parts.join(''), 'é'.repeat(300));
});
