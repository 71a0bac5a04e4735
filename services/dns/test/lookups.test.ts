import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import type { DnsConfig } from '../src/config.ts';
import { buildDns, dig, dnsConfig, md5, record, sha, until, writer } from './helpers.ts';

// Records are written through the store's write path (versioned script, index, update
// stream), as the correlator writes them; the DNS front end reads them as the edge does.
let app: FastifyInstance;
let port: number;
let config: DnsConfig;
let w: ReturnType<typeof writer>;
const Z = 'bl.test.example';
const evilFile = sha('dns-evil-file');
const md5Only = md5('dns-md5-only');

before(async () => {
  config = dnsConfig(await testRedisUrl());
  w = writer(config);
  const { store } = w;
  await store.write(record('ip', '192.0.2.10', 'malicious', { categories: ['phishing', 'Spam'], ttl: 900, reasons: [{ rule: 'sandbox.c2', weight: 1 }, { rule: 'feed.listed', weight: 0.5 }] }));
  await store.write(record('ip', '192.0.2.11', 'suspicious'));
  await store.write(record('ip', '192.0.2.12', 'clean'));
  await store.write(record('ip', '2001:db8::bad', 'malicious', { categories: ['botnet'] }));
  await store.write(record('domain', 'evil-dns.example', 'malicious', { categories: ['malware'] }));
  await store.write(record('file', evilFile, 'malicious'));
  await store.write(record('file', md5Only, 'suspicious'));
  ({ app, port } = await buildDns(config));
});
after(async () => {
  await app?.close();
  await w?.redis.quit();
  await closeTestServices();
});

test('an IPv4 listing answers its verdict and category codes with the record’s TTL', async () => {
  const a = await dig(port, `10.2.0.192.${Z}`);
  assert.equal(a.status, 'NOERROR', a.raw);
  assert.ok(a.flags.includes('aa'), a.raw);
  assert.deepEqual(a.answers.map((r) => r.data), ['127.0.0.2', '127.0.0.4', '127.0.0.6']);
  assert.ok(a.answers.every((r) => r.ttl === 900), a.raw);
  const s = await dig(port, `11.2.0.192.${Z}`);
  assert.deepEqual(s.answers.map((r) => r.data), ['127.0.0.3']);
});

test('TXT carries the verdict, categories, rules and the lookup link', async () => {
  const t = await dig(port, `10.2.0.192.${Z}`, 'TXT');
  assert.equal(t.status, 'NOERROR', t.raw);
  assert.match(t.answers[0]!.data, /malicious \(phishing, Spam\): sandbox\.c2, feed\.listed; https:\/\/repute\.example\/v1\/reputation\/ip\/192\.0\.2\.10/);
});

test('clean and unknown names are NXDOMAIN with the SOA for negative caching', async () => {
  for (const name of [`12.2.0.192.${Z}`, `99.2.0.192.${Z}`, `unknown-name.example.${Z}`]) {
    const a = await dig(port, name);
    assert.equal(a.status, 'NXDOMAIN', a.raw);
    assert.equal(a.authority[0]?.type, 'SOA', a.raw);
  }
});

test('RFC 5782 test entries: 127.0.0.2 listed, 127.0.0.1 not; test and invalid for domain lists', async () => {
  assert.deepEqual((await dig(port, `2.0.0.127.${Z}`)).answers.map((r) => r.data), ['127.0.0.2']);
  assert.equal((await dig(port, `1.0.0.127.${Z}`)).status, 'NXDOMAIN');
  assert.deepEqual((await dig(port, `test.${Z}`)).answers.map((r) => r.data), ['127.0.0.2']);
  assert.equal((await dig(port, `invalid.${Z}`)).status, 'NXDOMAIN');
});

test('IPv6 names are nibble-reversed (RFC 5782 2.4)', async () => {
  const full = '20010db8000000000000000000000bad';
  const name = `${[...full].reverse().join('.')}.${Z}`;
  const a = await dig(port, name);
  assert.deepEqual(a.answers.map((r) => r.data), ['127.0.0.2', '127.0.0.7'], a.raw);
});

test('domain lists answer the domain and its subdomains (the edge’s parent rule)', async () => {
  assert.deepEqual((await dig(port, `evil-dns.example.${Z}`)).answers.map((r) => r.data), ['127.0.0.2', '127.0.0.5']);
  assert.deepEqual((await dig(port, `login.www.evil-dns.example.${Z}`)).answers.map((r) => r.data), ['127.0.0.2', '127.0.0.5']);
});

test('hash lists answer SHA-256 (two 32-digit labels) and MD5 names', async () => {
  assert.deepEqual((await dig(port, `${evilFile.slice(0, 32)}.${evilFile.slice(32)}.${Z}`)).answers.map((r) => r.data), ['127.0.0.2']);
  assert.deepEqual((await dig(port, `${md5Only}.${Z}`)).answers.map((r) => r.data), ['127.0.0.3']);
});

test('Node’s resolver reads the same answers (A, TXT, NXDOMAIN)', async () => {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  assert.deepEqual(await resolver.resolve4(`10.2.0.192.${Z}`), ['127.0.0.2', '127.0.0.4', '127.0.0.6']);
  const txt = await resolver.resolveTxt(`evil-dns.example.${Z}`);
  assert.match(txt[0]!.join(''), /^malicious \(malware\)/);
  await assert.rejects(resolver.resolve4(`12.2.0.192.${Z}`), (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND');
});

test('a verdict change is answered as soon as it is written, with no zone reload', async () => {
  const name = `20.2.0.192.${Z}`;
  assert.equal((await dig(port, name)).status, 'NXDOMAIN');
  await w.store.write(record('ip', '192.0.2.20', 'malicious', { version: 1 }));
  await until('the new listing', async () => (await dig(port, name)).status === 'NOERROR');
  // Cached now; a later version clears it again.
  assert.deepEqual((await dig(port, name)).answers.map((r) => r.data), ['127.0.0.2']);
  await w.store.write(record('ip', '192.0.2.20', 'clean', { version: 2 }));
  await until('the delisting', async () => (await dig(port, name)).status === 'NXDOMAIN');
  await w.store.remove('ip', '192.0.2.20');
  assert.equal((await dig(port, name)).status, 'NXDOMAIN');
});
