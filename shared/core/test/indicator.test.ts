import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { aliasKey, digestAndKey, digestOf, IndicatorError, parseIndicator, recordKey } from '../src/index.ts';
import type { IndicatorKind } from '../src/index.ts';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest();
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';

test('file: a SHA-256 is its own digest; MD5/SHA-1 are aliases', () => {
  const file = parseIndicator('file', SHA256.toUpperCase());
  assert.deepEqual(file, { kind: 'file', value: SHA256, digest: Buffer.from(SHA256, 'hex'), key: `rep:file:${SHA256}`, hashAlgorithm: 'sha256' });
  const md5 = parseIndicator('file', ` ${MD5.toUpperCase()} `);
  assert.deepEqual(md5, { kind: 'file', value: MD5, digest: sha(`md5:${MD5}`), key: `rep:alias:md5:${MD5}`, hashAlgorithm: 'md5' });
  const sha1 = parseIndicator('file', SHA1);
  assert.equal(sha1.key, `rep:alias:sha1:${SHA1}`);
  assert.deepEqual(sha1.digest, sha(`sha1:${SHA1}`));
  assert.deepEqual(digestOf('file', MD5), md5.digest);
  assert.deepEqual(digestOf('file', SHA256), file.digest);
  assert.equal(aliasKey('md5', MD5.toUpperCase()), `rep:alias:md5:${MD5}`);
  assert.throws(() => aliasKey('sha1', MD5), IndicatorError);
});

test('url: canonical value, digest of the most specific expression', () => {
  const url = parseIndicator('url', 'HTTP://Evil.Example:8080/a/./b?x=1#frag');
  assert.equal(url.value, 'http://evil.example/a/b?x=1');
  assert.deepEqual(url.digest, sha('evil.example/a/b?x=1'));
  assert.equal(url.key, `rep:url:${sha('evil.example/a/b?x=1').toString('hex')}`);
  assert.deepEqual(digestOf('url', url.value), url.digest);
  // A record for a host expression convicts every URL below it: the same key.
  assert.deepEqual(digestOf('url', 'evil.example/'), sha('evil.example/'));
  assert.equal(parseIndicator('url', 'https://evil.example').key, recordKey('url', digestOf('url', 'evil.example/')));
});

test('domain, ip, email: sha256 of the canonical value', () => {
  const cases: readonly (readonly [IndicatorKind, string, string])[] = [
    ['domain', 'WWW.Bücher.example.', 'www.xn--bcher-kva.example'],
    ['ip', '::ffff:192.0.2.1', '192.0.2.1'],
    ['ip', '2001:DB8::1', '2001:db8::1'],
    ['ip', '198.51.100.77/24', '198.51.100.0/24'],
    ['ip', '2001:db8:1:2:3::/64', '2001:db8:1:2::/64'],
    ['ip', '192.0.2.1/32', '192.0.2.1'],
    ['email', 'Bob@Example.COM', 'Bob@example.com'],
  ];
  for (const [kind, raw, value] of cases) {
    const indicator = parseIndicator(kind, raw);
    assert.equal(indicator.value, value, raw);
    assert.deepEqual(indicator.digest, sha(value));
    assert.equal(indicator.key, `rep:${kind}:${sha(value).toString('hex')}`);
    assert.equal(indicator.hashAlgorithm, undefined);
    assert.deepEqual(digestOf(kind, value), indicator.digest);
  }
  // An IP indicator is four decimal octets: a URL host's shorthand would answer for another address.
  for (const raw of ['0xc0.0xa8.0.1', '010.0.0.1', '1.2.3', '2130706433', '1.2.3.4.5', '256.1.1.1']) {
    assert.throws(() => parseIndicator('ip', raw), (err: Error & { code?: string }) => err.code === 'REPUTE_INDICATOR_INVALID_IP', raw);
  }
});

test('errors carry the kind and a stable code', () => {
  const cases: readonly (readonly [IndicatorKind, string, string])[] = [
    ['file', 'abc', 'REPUTE_INDICATOR_INVALID_HASH'],
    ['url', '/path-only', 'REPUTE_INDICATOR_INVALID_URL'],
    ['domain', 'a..b', 'REPUTE_INDICATOR_INVALID_DOMAIN'],
    ['ip', '1.2.3.4.5', 'REPUTE_INDICATOR_INVALID_IP'],
    ['email', 'nobody', 'REPUTE_INDICATOR_INVALID_EMAIL'],
  ];
  for (const [kind, raw, code] of cases) {
    assert.throws(() => parseIndicator(kind, raw), (e: unknown) => e instanceof IndicatorError && e.code === code && e.kind === kind && e.input === raw && e.message.includes(JSON.stringify(raw)));
  }
  assert.throws(() => parseIndicator('asn' as IndicatorKind, '1'), (e: unknown) => e instanceof IndicatorError && e.code === 'REPUTE_INDICATOR_UNKNOWN_KIND');
});

test('recordKey takes a digest as bytes or hex', () => {
  const digest = sha('x');
  assert.equal(recordKey('domain', digest), `rep:domain:${digest.toString('hex')}`);
  assert.equal(recordKey('domain', digest.toString('hex').toUpperCase()), `rep:domain:${digest.toString('hex')}`);
  assert.throws(() => recordKey('domain', Buffer.alloc(16)), (e: unknown) => e instanceof IndicatorError && e.code === 'REPUTE_INDICATOR_INVALID_DIGEST');
  assert.throws(() => recordKey('domain', 'abc'), IndicatorError);
  assert.throws(() => recordKey('nope' as IndicatorKind, digest), IndicatorError);
});

test('digestAndKey gives what digestOf and recordKey give, for every kind', () => {
  const values: [IndicatorKind, string][] = [
    ['file', 'ab'.repeat(32)], ['file', 'cd'.repeat(16)], ['file', 'ef'.repeat(20)],
    ['url', 'https://evil.example/a?b=1'], ['url', 'evil.example/'], ['domain', 'evil.example'], ['ip', '192.0.2.1'], ['email', 'a@evil.example'],
  ];
  for (const [kind, value] of values) {
    const digest = digestOf(kind, value);
    assert.deepEqual(digestAndKey(kind, value), { digest: digest.toString('hex'), key: recordKey(kind, digest) }, `${kind} ${value}`);
  }
  assert.throws(() => digestAndKey('file', 'not a hash'), (e: unknown) => e instanceof IndicatorError && e.code === 'REPUTE_INDICATOR_INVALID_HASH');
});
