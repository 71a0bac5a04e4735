import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalizeUrl, IndicatorError, urlExpressions } from '../src/index.ts';

// Rows of google/safebrowsing urls_test.go (TestCanonicalURL, TestCanonicalHost,
// TestCanonicalPath, TestGeneratePatterns) where our documented decisions agree with the Go
// client: upper-case escapes (the docs), query kept (the docs), last five host labels (the
// docs; the Go client takes seven).
const GO_CLIENT: readonly (readonly [string, string])[] = [
  ['ftp://ftp.myfiles.com/', 'ftp://ftp.myfiles.com/'],
  ['http://some%1bhost.com/%1b', 'http://some%1Bhost.com/%1B'],
  ['http://www.\xC3\xBCmlat.com/', 'http://www.xn--mlat-zra.com/'],
  ['http://[2001:470:1:18::114]/', 'http://[2001:470:1:18::114]/'],
  ['http%3A%2F%2Fwackyurl.com:80/', 'http://wackyurl.com/'],
  ['http://W!eird<>Ho$^.com/', 'http://w!eird<>ho$^.com/'],
  ['http://i.have.way.too.many.dots.com/', 'http://i.have.way.too.many.dots.com/'],
  ['http://google.com./foo.html', 'http://google.com/foo.html'],
  ['http://google.com.:8080/foo.html', 'http://google.com/foo.html'],
  ['http://google...com/foo.html', 'http://google.com/foo.html'],
  ['http://..google.com/foo.html', 'http://google.com/foo.html'],
  ['http://[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:80/index.html', 'http://[fedc:ba98:7654:3210:fedc:ba98:7654:3210]/index.html'],
  ['http://0x12.0x43.0x44.0x01', 'http://18.67.68.1/'],
  ['http://192.168.0.1:80/index.html', 'http://192.168.0.1/index.html'],
  ['http://a.com/foo/.././bar/./../foo.html', 'http://a.com/foo.html'],
  ['http://a.com//a//b///c////', 'http://a.com/a/b/c/'],
  ['www.google.com:8080/foo.html', 'http://www.google.com/foo.html'],
  ['www.google.com:80', 'http://www.google.com/'],
  ['http://10.192.95.89 xy/', 'http://10.192.95.89/'],
];

const GO_REJECTS = ['', ':', '/blah', '#ref', '/blah#ref', '?query#ref', '/blah?query#ref', '/blah;param', 'http://#ref', 'http://?query#ref', 'mailto:bryner@google.com', 'www.google.com:xxyy/foo.html:80', ':8080/foo.html'];

// Our decisions where the docs are silent (safe-browsing.md §2.6), each pinned.
const DECISIONS: readonly (readonly [string, string])[] = [
  // Browsers read a backslash before the query as a slash (google/safebrowsing PR #157).
  ['http://evil.example\\path\\..\\x?q\\r', 'http://evil.example/x?q\\r'],
  ['http:\\\\evil.example\\a', 'http://evil.example/a'],
  // A special scheme needs no slashes and may have extra ones, as in browsers (the Go
  // client rejects `http:///blah`).
  ['http:///blah?query#ref', 'http://blah/?query'],
  ['http:evil.example/a', 'http://evil.example/a'],
  // IPv4 in every browser form (WHATWG host parser).
  ['http://0300.0250.0.1/', 'http://192.168.0.1/'],
  ['http://0xc0.0xa8.0.1/', 'http://192.168.0.1/'],
  ['http://192.168.1/', 'http://192.168.0.1/'],
  ['http://192.11010049/', 'http://192.168.0.1/'],
  ['http://0xC0A80001/', 'http://192.168.0.1/'],
  ['http://12.0x12.01234/', 'http://12.18.2.156/'],
  ['http://4294967295/', 'http://255.255.255.255/'],
  ['http://1.2.3.00x0/', 'http://1.2.3.00x0/'],
  // Zone ids are dropped; IPv4-mapped and NAT64 become IPv4.
  ['http://[fe80::1%25eth0]/', 'http://[fe80::1]/'],
  ['http://[0:0:0:0:0:ffff:c000:0201]/', 'http://192.0.2.1/'],
  ['http://[64:ff9b::c000:221]/x', 'http://192.0.2.33/x'],
  // IDN to Punycode, per label, after unescaping; invalid IDN labels stay escaped bytes.
  ['http://bücher.example/', 'http://xn--bcher-kva.example/'],
  ['http://b%C3%BCcher.example/', 'http://xn--bcher-kva.example/'],
  ['http://a b.bücher.example/', 'http://a%20b.xn--bcher-kva.example/'],
  ['http://１２７.０.０.１/', 'http://127.0.0.1/'],
  ['http://a。b.example/', 'http://a.b.example/'],
  // Non-ASCII path and query are escaped as UTF-8.
  ['http://x.example/ä?ö=€', 'http://x.example/%C3%A4?%C3%B6=%E2%82%AC'],
  ['http://x.example/😀', 'http://x.example/%F0%9F%98%80'],
  // Userinfo dropped, the last @ ends it.
  ['http://user:pw@evil.example@real.example:8080/', 'http://real.example/'],
  // Escaped structure is structure once unescaped.
  ['http://evil.example%2Fpath%3Fq', 'http://evil.example/path?q'],
  ['http://evil.example/a%2F..%2Fb', 'http://evil.example/b'],
  ['http://evil.example/a/%2e%2E/b', 'http://evil.example/b'],
  ['http://evil.example/a/.', 'http://evil.example/a/'],
  ['http://evil.example/../../a', 'http://evil.example/a'],
  // A fragment goes before unescaping; an escaped # is data.
  ['http://evil.example/a%23b#c', 'http://evil.example/a%23b'],
  ['//evil.example/a', 'http://evil.example/a'],
  ['HTTPS://EVIL.EXAMPLE/A', 'https://evil.example/A'],
  ['http://evil.example/a b', 'http://evil.example/a%20b'],
  ['http://evil.example/%00%7f%ff', 'http://evil.example/%00%7F%FF'],
];

const DECISION_REJECTS = [
  'http://1.2.3.4.5/', // ends in a number, five parts
  'http://256.1.1.1/',
  'http://1.2.3.09/', // bad octal
  'http://0x100000000/', // over 32 bits
  'http://evil.123/',
  'http://[1:2:3]/',
  'http://[::1]x/',
  'http://evil.example:99999/',
  'http://evil.example:8o/',
  'javascript:alert(1)',
  'data:text/html,hi',
  'file:///etc/passwd',
];

test('canonicalizeUrl agrees with the Go reference client where the rules are shared', () => {
  for (const [input, expected] of GO_CLIENT) assert.equal(canonicalizeUrl(input), expected, JSON.stringify(input));
  for (const input of GO_REJECTS) assert.throws(() => canonicalizeUrl(input), IndicatorError, JSON.stringify(input));
});

test('canonicalizeUrl decisions the docs leave open', () => {
  for (const [input, expected] of DECISIONS) {
    const canonical = canonicalizeUrl(input);
    assert.equal(canonical, expected, JSON.stringify(input));
    assert.equal(canonicalizeUrl(canonical), canonical, `fixed point ${expected}`);
  }
  for (const input of DECISION_REJECTS) {
    assert.throws(
      () => canonicalizeUrl(input),
      (e: unknown) => e instanceof IndicatorError && e.code === 'REPUTE_INDICATOR_INVALID_URL' && e.kind === 'url' && e.input === input,
      input,
    );
  }
});

test('errors name the problem and echo at most about 100 characters of input', () => {
  const long = `http://${'a'.repeat(70000)}`;
  assert.throws(() => canonicalizeUrl(long), (e: unknown) => e instanceof IndicatorError && e.code === 'REPUTE_INDICATOR_TOO_LONG' && e.message.length < 250);
  assert.throws(() => canonicalizeUrl(`http://${'a'.repeat(300)}.123/`), (e: unknown) => e instanceof IndicatorError && e.message.startsWith('URL host ends in a number') && e.message.length < 250);
  assert.throws(() => canonicalizeUrl(42 as unknown as string), IndicatorError);
});

test('urlExpressions: Go client pattern vectors, as sets, with the docs five-label host rule', () => {
  const cases: readonly (readonly [string, readonly string[]])[] = [
    ['http://a.b.c/1/2.html?param=1/2', ['a.b.c/1/2.html?param=1/2', 'a.b.c/1/2.html', 'a.b.c/', 'a.b.c/1/', 'b.c/1/2.html?param=1/2', 'b.c/1/2.html', 'b.c/', 'b.c/1/']],
    ['http://a.b.c/1/2/3/4/5/', ['a.b.c/1/2/3/4/5/', 'a.b.c/', 'a.b.c/1/', 'a.b.c/1/2/', 'a.b.c/1/2/3/', 'b.c/1/2/3/4/5/', 'b.c/', 'b.c/1/', 'b.c/1/2/', 'b.c/1/2/3/']],
    ['http://a.b.c.d.e/1.html', ['a.b.c.d.e/1.html', 'a.b.c.d.e/', 'b.c.d.e/1.html', 'b.c.d.e/', 'c.d.e/1.html', 'c.d.e/', 'd.e/1.html', 'd.e/']],
    ['http://b.c/1/2/3.html?param=1/2', ['b.c/1/2/3.html?param=1/2', 'b.c/1/2/3.html', 'b.c/', 'b.c/1/', 'b.c/1/2/']],
    ['http://a.b/?', ['a.b/']],
    ['http://[2001:470:1:18::114]/a/b', ['[2001:470:1:18::114]/a/b', '[2001:470:1:18::114]/', '[2001:470:1:18::114]/a/']],
    ['http://1.2.3.4/a/b', ['1.2.3.4/a/b', '1.2.3.4/', '1.2.3.4/a/']],
    ['http://a.b/', ['a.b/']],
    ['http://b/', ['b/']],
    ['https://a.b.c.d.e.f.g.h.i/', ['a.b.c.d.e.f.g.h.i/', 'e.f.g.h.i/', 'f.g.h.i/', 'g.h.i/', 'h.i/']],
    ['a.b.c.d.e.f.g.h.i/', ['a.b.c.d.e.f.g.h.i/', 'e.f.g.h.i/', 'f.g.h.i/', 'g.h.i/', 'h.i/']],
    ['http://a.com/a/b/c/d/e.html?123', ['a.com/a/b/c/d/e.html?123', 'a.com/a/b/c/d/e.html', 'a.com/', 'a.com/a/', 'a.com/a/b/', 'a.com/a/b/c/']],
  ];
  for (const [url, expected] of cases) assert.deepEqual(urlExpressions(url), expected, url);
  assert.throws(() => urlExpressions('/asdf'), IndicatorError);
});

test('urlExpressions never exceeds 30 and has no duplicates', () => {
  const all = urlExpressions('http://a.b.c.d.e.f.g/1/2/3/4/5/6.html?x=1');
  assert.equal(all.length, 30);
  assert.equal(new Set(all).size, 30);
  assert.equal(all[0], 'a.b.c.d.e.f.g/1/2/3/4/5/6.html?x=1');
});
