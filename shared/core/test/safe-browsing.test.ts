import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalizeUrl, IndicatorError, urlExpressions } from '../src/index.ts';

// The 33 canonicalisation vectors published in the Safe Browsing v4 "URLs and Hashing" page
// (identical in the Web Risk docs), in the published order. `\x01\x80` are the raw bytes the
// docs write with C escapes.
const CANONICAL: readonly (readonly [string, string])[] = [
  ['http://host/%25%32%35', 'http://host/%25'],
  ['http://host/%25%32%35%25%32%35', 'http://host/%25%25'],
  ['http://host/%2525252525252525', 'http://host/%25'],
  ['http://host/asdf%25%32%35asd', 'http://host/asdf%25asd'],
  ['http://host/%%%25%32%35asd%%', 'http://host/%25%25%25asd%25%25'],
  ['http://www.google.com/', 'http://www.google.com/'],
  ['http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/', 'http://168.188.99.26/.secure/www.ebay.com/'],
  ['http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/', 'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/'],
  ['http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B', 'http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+'],
  ['http://3279880203/blah', 'http://195.127.0.11/blah'],
  ['http://www.google.com/blah/..', 'http://www.google.com/'],
  ['www.google.com/', 'http://www.google.com/'],
  ['www.google.com', 'http://www.google.com/'],
  ['http://www.evil.com/blah#frag', 'http://www.evil.com/blah'],
  ['http://www.GOOgle.com/', 'http://www.google.com/'],
  ['http://www.google.com.../', 'http://www.google.com/'],
  ['http://www.google.com/foo\tbar\rbaz\n2', 'http://www.google.com/foobarbaz2'],
  ['http://www.google.com/q?', 'http://www.google.com/q?'],
  ['http://www.google.com/q?r?', 'http://www.google.com/q?r?'],
  ['http://www.google.com/q?r?s', 'http://www.google.com/q?r?s'],
  ['http://evil.com/foo#bar#baz', 'http://evil.com/foo'],
  ['http://evil.com/foo;', 'http://evil.com/foo;'],
  ['http://evil.com/foo?bar;', 'http://evil.com/foo?bar;'],
  ['http://\x01\x80.com/', 'http://%01%80.com/'],
  ['http://notrailingslash.com', 'http://notrailingslash.com/'],
  ['http://www.gotaport.com:1234/', 'http://www.gotaport.com/'],
  ['  http://www.google.com/  ', 'http://www.google.com/'],
  ['http:// leadingspace.com/', 'http://%20leadingspace.com/'],
  ['http://%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['https://www.securesite.com/', 'https://www.securesite.com/'],
  ['http://host.com/ab%23cd', 'http://host.com/ab%23cd'],
  ['http://host.com//twoslashes?more//slashes', 'http://host.com/twoslashes?more//slashes'],
];

// The published suffix/prefix examples, in the published order.
const EXPRESSIONS: readonly (readonly [string, readonly string[]])[] = [
  [
    'http://a.b.c/1/2.html?param=1',
    ['a.b.c/1/2.html?param=1', 'a.b.c/1/2.html', 'a.b.c/', 'a.b.c/1/', 'b.c/1/2.html?param=1', 'b.c/1/2.html', 'b.c/', 'b.c/1/'],
  ],
  [
    'http://a.b.c.d.e.f.g/1.html',
    ['a.b.c.d.e.f.g/1.html', 'a.b.c.d.e.f.g/', 'c.d.e.f.g/1.html', 'c.d.e.f.g/', 'd.e.f.g/1.html', 'd.e.f.g/', 'e.f.g/1.html', 'e.f.g/', 'f.g/1.html', 'f.g/'],
  ],
  ['http://1.2.3.4/1/', ['1.2.3.4/1/', '1.2.3.4/']],
];

test('canonicalizeUrl passes every published Safe Browsing vector', () => {
  assert.equal(CANONICAL.length, 33);
  for (const [input, expected] of CANONICAL) {
    assert.equal(canonicalizeUrl(input), expected, `input ${JSON.stringify(input)}`);
  }
});

test('canonical forms of the published vectors are fixed points', () => {
  for (const [, expected] of CANONICAL) assert.equal(canonicalizeUrl(expected), expected);
});

test('urlExpressions yields the published suffix/prefix expressions in order', () => {
  let total = 0;
  for (const [url, expected] of EXPRESSIONS) {
    assert.deepEqual(urlExpressions(url), expected, url);
    total += expected.length;
  }
  assert.equal(total, 20);
});

// v5 "URLs and Hashing" IPv6 host examples, as full URLs.
test('v5 IPv6 hosts: compressed, IPv4-mapped and NAT64 become canonical', () => {
  assert.equal(canonicalizeUrl('http://[2001:0db8:0000::1]/'), 'http://[2001:db8::1]/');
  assert.equal(canonicalizeUrl('http://[::ffff:1.2.3.4]/'), 'http://1.2.3.4/');
  assert.equal(canonicalizeUrl('http://[64:ff9b::1.2.3.4]/'), 'http://1.2.3.4/');
  assert.deepEqual(urlExpressions('http://[2001:db8::1]/a/b'), ['[2001:db8::1]/a/b', '[2001:db8::1]/', '[2001:db8::1]/a/']);
});

test('what cannot be a URL throws IndicatorError', () => {
  for (const input of ['', '   ', '#frag', 'http://', 'http:///', 'http://.../', '/izuku.arm', 'javascript:alert(1)', 'mailto:a@b.example', 'http://host:port/', 'http://1.2.3.999/', 'http://evil.123/', 'http://[::1/', 'http://[1:2]/', 'x'.repeat(20000)]) {
    assert.throws(() => canonicalizeUrl(input), (error: unknown) => error instanceof IndicatorError && /^REPUTE_INDICATOR_(INVALID_URL|TOO_LONG)$/.test(error.code), JSON.stringify(input.slice(0, 40)));
  }
});
