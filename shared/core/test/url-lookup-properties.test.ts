import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalizeUrl, IndicatorError, lookupCandidates, MAX_URL_LENGTH, mostSpecificExpression, parseIndicator, parseIp, recordKey } from '../src/index.ts';

// What is stored must be found: the properties a record key rests on, over URL-shaped strings
// built to reach the corners (user-info that hides structure, odd hosts, escapes, non-ASCII,
// whitespace, paths near the length limit) and over arbitrary strings. The run counts keep the
// file to a few seconds in CI; REPUTE_PROPERTY_RUNS raises them for a deeper search.
const RUNS = Number(process.env.REPUTE_PROPERTY_RUNS ?? 2000);

// Unicode White_Space and the C0 controls and C1/format characters that sit next to it.
const space = fc.constantFrom(' ', '\t', '\n', '\r', '\f', '\v', '\x00', '\x1f', '\u0085', '\u00a0', '\u1680', '\u2000', '\u2003', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u200b');
const spaces = fc.array(space, { maxLength: 3 }).map((s) => s.join(''));

// Characters and escapes that are structure once unescaped, or bytes that are not.
const escapes = fc.constantFrom('%5C', '%5c', '%2F', '%2f', '%3F', '%40', '%23', '%25', '%2525', '%255C', '%3A', '%2E', '%20', '%00', '%7F', '%80', '%C3%A4', '%C3%83%C2%A4', '%E2%82%AC', '%F0%9F%98%80', '%', '%%', '%G1', '%5');
const nonAscii = fc.constantFrom('ä', 'Ã¤', 'Ã', '¤', 'é', '€', '😀', '\ud800', '\udc00', 'ß', 'İ', 'ﬀ', '１', '。', '\u0080', '\u009f', '\u00ad', '\u200d', 'xn--');
const ascii = fc.constantFrom('a', 'Z', 'evil', 'x', '0', '9', '-', '_', '.', '..', '~', '!', '$', ';', '=', '&', '+', ',', '*', "'", '(', ')', '<', '>', '"', '`', '{', '}', '|', '^');
const structure = fc.constantFrom('/', '//', '\\', '?', '#', '@', ':', '[', ']', '/./', '/../', '/.', '/..', '\\..\\');
const piece = fc.oneof({ weight: 3, arbitrary: ascii }, { weight: 2, arbitrary: escapes }, { weight: 2, arbitrary: nonAscii }, { weight: 1, arbitrary: structure }, { weight: 1, arbitrary: space });
const text = (maxLength: number) => fc.array(piece, { maxLength }).map((p) => p.join(''));

const scheme = fc.constantFrom('http://', 'https://', 'HTTP://', 'ftp://', 'ws://', 'http:', 'http:/', 'http:\\\\', 'https:///', '//', '\\\\', '', 'foo://', 'http%3A%2F%2F', 'hxxp://');
const userinfo = fc.oneof(
  fc.constant(''),
  fc.constantFrom('user@', 'u:p@', 'a@b@', 'x%5C@', 'x%5c@', 'x%2F@', 'x%3F@', 'x%40y@', 'x\\@', 'x%255C@', '%5C%5C@', 'ü@', 'a:%5C@', '@'),
  text(4).map((t) => `${t}@`),
);
const label = fc.oneof(
  fc.constantFrom('a', 'evil', 'www', 'Example', 'xn--bcher-kva', 'bücher', 'ÉVIL', '１２７', '0', '1', '255', '256', '0x7f', '017', '09', '4294967295', '-', '_', 'a b', 'a%20b', '%2e', '%41', '%2E%2E', '%C3%BC', 'Ã¼', 'ß', 'xn--', 'xn--zz'),
  text(3),
);
const host = fc.oneof(
  { weight: 4, arbitrary: fc.array(label, { minLength: 1, maxLength: 7 }).map((l) => l.join('.')) },
  { weight: 1, arbitrary: fc.ipV4().map(String) },
  { weight: 1, arbitrary: fc.ipV4Extended() },
  { weight: 1, arbitrary: fc.ipV6().map((a) => `[${a}]`) },
  { weight: 1, arbitrary: fc.constantFrom('[::ffff:1.2.3.4]', '[64:ff9b::a00:1]', '[fe80::1%25eth0]', '[::1', '::1]', '1.2.3.4 junk', '10.0.0.1 x', '..', '.', 'a..b.', '1.2.3.4.', '%31%32%37.0.0.1') },
  { weight: 1, arbitrary: fc.domain() },
);
const port = fc.constantFrom('', '', ':80', ':8080', ':', ':65535', ':65536', ':8o', ':%38%30');
// Long paths: one piece repeated up to where its canonical form passes the length limit.
const longPath = fc
  .tuple(fc.constantFrom('é', '€', '😀', 'a', '%C3%A9', 'a/', '../', '%', '\\', 'Ã¤', ' '), fc.integer({ min: 1, max: MAX_URL_LENGTH }))
  .map(([p, n]) => `/${p.repeat(Math.max(1, Math.floor(n / p.length)))}`);
const path = fc.oneof({ weight: 6, arbitrary: text(14) }, { weight: 1, arbitrary: longPath });
const tail = fc.tuple(path, fc.option(text(6), { nil: undefined }), fc.option(text(3), { nil: undefined })).map(([p, q, f]) => `${p.startsWith('/') || p.startsWith('?') || p === '' ? p : `/${p}`}${q === undefined ? '' : `?${q}`}${f === undefined ? '' : `#${f}`}`);

const urlish = fc.tuple(spaces, scheme, userinfo, host, port, tail, spaces).map((parts) => parts.join(''));
const anyString = fc.oneof(
  { weight: 6, arbitrary: urlish },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 }) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withUserInfo: true, withPort: true, withIPv4: true, withIPv6: true, withIPv4Extended: true } }) },
);

function attempt<T>(run: () => T): T | IndicatorError {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof IndicatorError)) throw error;
    return error;
  }
}

test('canonicalizeUrl is idempotent on every input it accepts', () => {
  fc.assert(
    fc.property(anyString, (input) => {
      const canonical = attempt(() => canonicalizeUrl(input));
      if (canonical instanceof IndicatorError) return;
      assert.ok(canonical.length <= MAX_URL_LENGTH);
      assert.equal(attempt(() => canonicalizeUrl(canonical)), canonical, JSON.stringify(input));
    }),
    { numRuns: RUNS * 2 },
  );
});

test('the stored key of a URL is its first lookup expression, and the same inputs are refused', () => {
  fc.assert(
    fc.property(anyString, (input) => {
      const stored = attempt(() => parseIndicator('url', input));
      const lookup = attempt(() => lookupCandidates('url', input));
      if (stored instanceof IndicatorError) {
        assert.ok(lookup instanceof IndicatorError && lookup.code === stored.code, JSON.stringify(input));
        return;
      }
      assert.ok(!(lookup instanceof IndicatorError), `${JSON.stringify(input)}: ${String(lookup)}`);
      assert.equal(lookup.value, stored.value);
      const first = lookup.candidates[0]!;
      assert.equal(first.role, 'exact');
      assert.equal(first.label, mostSpecificExpression(stored.value));
      assert.equal(recordKey('url', first.digest), stored.key, JSON.stringify(input));
    }),
    { numRuns: RUNS },
  );
});

test('whatever parseIndicator accepts as a URL can be looked up from its canonical value', () => {
  fc.assert(
    fc.property(anyString, (input) => {
      const stored = attempt(() => parseIndicator('url', input));
      if (stored instanceof IndicatorError) return;
      const lookup = attempt(() => lookupCandidates('url', stored.value));
      assert.ok(!(lookup instanceof IndicatorError), `${JSON.stringify(input)}: ${String(lookup)}`);
      assert.equal(lookup.value, stored.value);
      assert.equal(recordKey('url', lookup.candidates[0]!.digest), stored.key);
    }),
    { numRuns: RUNS },
  );
});

// The record consulted must be the one of the host a browser connects to. Hosts with empty
// labels are left out: Safe Browsing tidies `a..b` to `a.b` (and `1...` to an IPv4), browsers
// keep them.
test('the canonical host is the host a browser connects to', () => {
  const web = fc.tuple(fc.constantFrom('http://', 'https://', 'http:', 'HTTPS:\\\\', 'http:///'), userinfo, host, port, tail).map((parts) => parts.join(''));
  fc.assert(
    fc.property(web, (input) => {
      let browser: string;
      try {
        browser = new URL(input).hostname;
      } catch {
        return;
      }
      if (browser.startsWith('.') || browser.endsWith('.') || browser.includes('..')) return;
      const canonical = attempt(() => canonicalizeUrl(input));
      if (canonical instanceof IndicatorError) return;
      if (browser.startsWith('[')) {
        const ip = parseIp(browser);
        browser = ip.version === 4 ? ip.address : `[${ip.address}]`;
      }
      const hostStart = canonical.indexOf('://') + 3;
      assert.equal(canonical.slice(hostStart, canonical.indexOf('/', hostStart)), browser, JSON.stringify(input));
    }),
    { numRuns: RUNS },
  );
});

const UTF8_ESCAPE = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const AROUND = /^[\p{White_Space}\x00-\x20]+|[\p{White_Space}\x00-\x20]+$/gu;

// Equivalent spellings have one canonical form: text and its UTF-8 escapes, as a browser sends
// them. C1 controls are left as they are (the published `\x80` vector makes them bytes), and so
// are the fragment and the whitespace around the URL, which go before escaping matters.
test('text and its percent-escaped form canonicalise alike', () => {
  fc.assert(
    fc.property(anyString, (raw) => {
      const input = raw.replace(/[\t\n\r]/g, '').split('#')[0]!.replace(AROUND, '');
      const escaped = input.replace(/[^\x00-\x9f]+/g, UTF8_ESCAPE);
      if (escaped.length > MAX_URL_LENGTH) return;
      const a = attempt(() => canonicalizeUrl(input));
      const b = attempt(() => canonicalizeUrl(escaped));
      assert.equal(a instanceof IndicatorError ? a.code : a, b instanceof IndicatorError ? b.code : b, JSON.stringify(input));
    }),
    { numRuns: RUNS },
  );
});
