import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalizeUrl, IndicatorError, MAX_URL_LENGTH, urlExpressions } from '../src/index.ts';

// Rows of google/safebrowsing urls_test.go (TestCanonicalURL, TestCanonicalHost,
// TestCanonicalPath, TestGeneratePatterns) where our documented decisions agree with the Go
// client: upper-case escapes (the docs), query kept (the docs), last five host labels (the
// docs; the Go client takes seven). Go strings are bytes: the Go row `www.\xC3\xBCmlat.com` is
// the UTF-8 of `ümlat`, which in a JS string is the text `ümlat`.
const GO_CLIENT: readonly (readonly [string, string])[] = [
  ['ftp://ftp.myfiles.com/', 'ftp://ftp.myfiles.com/'],
  ['http://some%1bhost.com/%1b', 'http://some%1Bhost.com/%1B'],
  ['http://www.\u00FCmlat.com/', 'http://www.xn--mlat-zra.com/'],
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

// The host is the one a browser connects to: the user-info ends at the last `@` of the
// authority as the browser reads it, before unescaping. Unescaped first, `%5C` became a
// backslash that ended the authority at `x`, so evil.example's records were never consulted.
test('escaped slashes, backslashes and ? in the user-info do not move the host', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['http://x%5C@evil.example/malware.exe', 'http://evil.example/malware.exe'],
    ['http://x%5c@evil.example/malware.exe', 'http://evil.example/malware.exe'],
    ['http://x%2F@evil.example/malware.exe', 'http://evil.example/malware.exe'],
    ['http://x%3F@evil.example/malware.exe', 'http://evil.example/malware.exe'],
    ['http://x%255C@evil.example/malware.exe', 'http://evil.example/malware.exe'],
    ['http://a@b%5C@evil.example:8080/malware.exe', 'http://evil.example/malware.exe'],
    ['https:x%5C@evil.example/malware.exe', 'https://evil.example/malware.exe'],
    ['//x%5C@evil.example/malware.exe', 'http://evil.example/malware.exe'],
    ['x%5C@evil.example/malware.exe', 'http://evil.example/malware.exe'],
    // An @ after the authority's end is path, and an escaped @ still ends an escaped user-info.
    ['http://good.example/x%5C@evil.example/', 'http://good.example/x/@evil.example/'],
    ['http://user%40mail.example@evil.example/', 'http://evil.example/'],
  ];
  for (const [input, expected] of cases) {
    assert.equal(canonicalizeUrl(input), expected, JSON.stringify(input));
    const browser = new URL(input.includes(':') ? input : `http://${input.replace(/^\/\//, '')}`);
    assert.equal(`${browser.protocol}//${browser.hostname}`, expected.slice(0, expected.indexOf('/', 8)), `browser host of ${input}`);
  }
  assert.deepEqual(urlExpressions('http://x%5C@evil.example/malware.exe'), ['evil.example/malware.exe', 'evil.example/']);
  // An empty host after the user-info is refused, as browsers refuse it; the path never becomes the host.
  for (const input of ['http://@/evil.example', 'http:\\\\x@/evil.example', 'http://x%5C@/evil.example', '//a@/evil.example', 'http://a@:80/evil.example']) {
    assert.throws(() => canonicalizeUrl(input), IndicatorError, input);
  }
});

// Text is UTF-8 whatever it looks like: `Ã¤` is two characters a browser sends as
// `%C3%83%C2%A4`, not the bytes C3 A4 it would be had it been mis-decoded from UTF-8.
test('text that looks like mis-decoded Latin-1 is escaped as the text it is', () => {
  const pairs: readonly (readonly [string, string])[] = [
    ['http://a.example/Ã¤', 'http://a.example/%C3%83%C2%A4'],
    ['http://a.example/Ã¼ber?q=Ã©', 'http://a.example/%C3%83%C2%BCber?q=%C3%83%C2%A9'],
    ['http://www.Ã¼mlat.example/', 'http://www.%C3%83%C2%BCmlat.example/'],
  ];
  for (const [text, escaped] of pairs) {
    assert.equal(canonicalizeUrl(text), canonicalizeUrl(escaped), text);
    assert.equal(new URL(text).href, new URL(escaped).href, `browsers agree on ${text}`);
  }
  assert.equal(canonicalizeUrl('http://a.example/Ã¤'), 'http://a.example/%C3%83%C2%A4');
  // A C1 control is never text: it is the byte of the published `\x01\x80` vector.
  assert.equal(canonicalizeUrl('http://a.example/\x01\x80'), 'http://a.example/%01%80');
});

// A C1 control once made the whole string bytes: one in the query turned the host `ß.evil`
// into `%DF.evil`, away from the `xn--zca.evil` a browser resolves (found by the property test).
test('a C1 control stands for its own byte and never changes the host', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['http://ß.evil.example/a?\u0080', 'http://xn--zca.evil.example/a?%80'],
    ['http://bücher.example/\u0085x', 'http://xn--bcher-kva.example/%85x'],
    ['http://évil.example/Ã¤\u009f', 'http://xn--vil-9la.example/%C3%83%C2%A4%9F'],
  ];
  for (const [input, expected] of cases) {
    assert.equal(canonicalizeUrl(input), expected, JSON.stringify(input));
    assert.equal(expected.slice(7, expected.indexOf('/', 7)), new URL(input).hostname);
  }
});

// Unicode White_Space, not only ASCII space and controls: feeds and copy-paste carry NBSP,
// em spaces and NEL around URLs, and each would otherwise become part of the host or path.
test('leading and trailing Unicode whitespace is trimmed', () => {
  const spaces = [...Array(0x10000).keys()].map((c) => String.fromCharCode(c)).filter((c) => /\p{White_Space}/u.test(c));
  assert.ok(spaces.includes('\u00a0') && spaces.includes('\u2003') && spaces.includes('\u0085') && spaces.includes('\u3000'));
  for (const space of spaces) {
    const label = `U+${space.charCodeAt(0).toString(16).padStart(4, '0')}`;
    assert.equal(canonicalizeUrl(`${space}http://evil.example/a${space}`), 'http://evil.example/a', label);
    assert.equal(canonicalizeUrl(`${space}${space}evil.example${space}${space}`), 'http://evil.example/', label);
  }
  assert.equal(canonicalizeUrl('\u00a0\u2003 http://evil.example/a b\u0085\u3000'), 'http://evil.example/a%20b');
  // Inside the URL whitespace is data, escaped as UTF-8.
  assert.equal(canonicalizeUrl('http://evil.example/a\u00a0b'), 'http://evil.example/a%C2%A0b');
});

// The canonical form can be up to nine times longer than its input (each BMP character
// becomes three escaped bytes); it is held to the same limit, so that every canonical URL
// is itself accepted: what is stored can be looked up again from its canonical value.
test('a URL whose canonical form is over the limit is too long, and every canonical form is accepted again', () => {
  const long = `http://a.example/${'é'.repeat(3000)}`;
  assert.ok(long.length < MAX_URL_LENGTH);
  assert.throws(() => canonicalizeUrl(long), (e: unknown) => e instanceof IndicatorError && e.code === 'REPUTE_INDICATOR_TOO_LONG' && e.message.length < 250);
  const fits = `http://a.example/${'é'.repeat(Math.floor((MAX_URL_LENGTH - 17) / 6))}`;
  const canonical = canonicalizeUrl(fits);
  assert.ok(canonical.length <= MAX_URL_LENGTH);
  assert.equal(canonicalizeUrl(canonical), canonical);
});
