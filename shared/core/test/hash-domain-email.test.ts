import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalizeDomain, canonicalizeEmail, IndicatorError, parseFileHash, registrableDomain } from '../src/index.ts';

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

test('file hashes: MD5, SHA-1, SHA-256 in any case, whitespace tolerated', () => {
  assert.deepEqual(parseFileHash(MD5), { algorithm: 'md5', hex: MD5 });
  assert.deepEqual(parseFileHash(SHA1.toUpperCase()), { algorithm: 'sha1', hex: SHA1 });
  assert.deepEqual(parseFileHash(` \t${SHA256.toUpperCase()}\r\n`), { algorithm: 'sha256', hex: SHA256 });
  for (const input of ['', MD5.slice(1), `${MD5}0`, `${SHA256.slice(0, 63)}g`, `0x${MD5}`, `${MD5.slice(0, 16)} ${MD5.slice(16)}`, SHA256 + SHA256, 'z'.repeat(64)]) {
    assert.throws(() => parseFileHash(input), (e: unknown) => e instanceof IndicatorError && e.code === 'REPUTE_INDICATOR_INVALID_HASH' && e.kind === 'file', input);
  }
});

test('domains: case, trailing dot, IDN to Punycode, labels validated', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['  www.example.com\n', 'www.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['faß.de', 'xn--fa-hia.de'], // UTS #46 nontransitional, as browsers
    ['пример.рф', 'xn--e1afmkfd.xn--p1ai'],
    ['a。b.example', 'a.b.example'],
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['-edge-.example.com', '-edge-.example.com'],
    ['localhost', 'localhost'],
    [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
    [`${'abcdefghi.'.repeat(24)}example`, `${'abcdefghi.'.repeat(24)}example`],
  ];
  for (const [input, expected] of cases) assert.equal(canonicalizeDomain(input), expected, input);
  const rejects = ['', '.', '.cc', 'a..b', 'a b.example', 'a/b.example', 'evil.example:80', '*.example.com', 'http://example.com', '1.2.3.4', 'host.123', 'host.0x1f', `${'a'.repeat(64)}.example`, `${'abcdefghi.'.repeat(25)}example`, 'exa$mple.com', 'a%2eb.com', 'x'.repeat(2000)];
  for (const input of rejects) {
    assert.throws(() => canonicalizeDomain(input), (e: unknown) => e instanceof IndicatorError && /^REPUTE_INDICATOR_(INVALID_DOMAIN|TOO_LONG)$/.test(e.code) && e.kind === 'domain', input);
  }
});

test('registrable domains by the Public Suffix List, private suffixes included', () => {
  const cases: readonly (readonly [string, string | null])[] = [
    ['www.example.com', 'example.com'],
    ['a.b.example.co.uk', 'example.co.uk'],
    ['WWW.Example.COM.', 'example.com'],
    ['evil.github.io', 'evil.github.io'], // private suffix: github.io users are unrelated
    ['deep.evil.github.io', 'evil.github.io'],
    ['x.blogspot.com', 'x.blogspot.com'],
    ['a.b.duckdns.org', 'b.duckdns.org'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['shop.bücher.de', 'xn--bcher-kva.de'],
    ['foo.unknowntld', 'foo.unknowntld'],
    ['co.uk', null],
    ['github.io', null],
    ['com', null],
    ['1.2.3.4', null],
    ['2001:db8::1', null],
  ];
  for (const [input, expected] of cases) assert.equal(registrableDomain(input), expected, input);
  assert.throws(() => registrableDomain('a b.com'), IndicatorError);
});

test('e-mail senders: domain canonical, local part kept', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['Alice.Smith@Example.COM', 'Alice.Smith@example.com'],
    ['  bob+tag@Bücher.example ', 'bob+tag@xn--bcher-kva.example'],
    ['<billing@evil.example.>', 'billing@evil.example'],
    ['"john doe"@example.com', '"john doe"@example.com'],
    ['user@[192.0.2.1]', 'user@[192.0.2.1]'],
    ['user@[IPv6:2001:DB8::1]', 'user@[IPv6:2001:db8::1]'],
    ['üser@example.com', 'üser@example.com'],
    ["o'brien!#$%&*+/=?^_`{|}~-@example.com", "o'brien!#$%&*+/=?^_`{|}~-@example.com"],
  ];
  for (const [input, expected] of cases) assert.equal(canonicalizeEmail(input), expected, input);
  const rejects = ['', 'plain', '@example.com', 'user@', 'user@@example.com', '.user@example.com', 'user.@example.com', 'a..b@example.com', 'a b@example.com', 'a<b@example.com', 'user@exa mple.com', 'user@1.2.3.4', 'user@[300.1.1.1]', 'user@[1.2.3]', `${'a'.repeat(65)}@example.com`, `${'a'.repeat(64)}@${'b'.repeat(47)}.${'c'.repeat(47)}.${'d'.repeat(47)}.${'e'.repeat(47)}.com`, '"unterminated@example.com', 'Name <user@example.com>'];
  for (const input of rejects) {
    assert.throws(() => canonicalizeEmail(input), (e: unknown) => e instanceof IndicatorError && e.kind === 'email' && /^REPUTE_INDICATOR_(INVALID_EMAIL|TOO_LONG)$/.test(e.code), input);
  }
});
