import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalizeUrl, IndicatorError, mostSpecificExpression, parseIp, urlExpressions } from '../src/index.ts';

// REPUTE_PROPERTY_RUNS raises the count for a deeper, slower search.
const RUNS = Number(process.env.REPUTE_PROPERTY_RUNS ?? 2000);

// Pieces that exercise every rule: escapes (valid, nested, broken), dots, slashes,
// backslashes, IPv4 forms, IPv6, IDN, userinfo, ports, query and fragment markers.
const piece = fc.constantFrom(
  'a', 'B', 'evil', 'xn--bcher-kva', 'bücher', '１２', '.', '..', '/', '//', '\\', '?', '#', '@', ':', ':80', '%', '%%', '%25',
  '%2e', '%2E', '%2F', '%3F', '%23', '%20', '%00', '%7f', '%80', '%C3%BC', '%252e', ' ', '\t', '\n', '~', ';', '[', ']',
  '0x1f', '017', '255', '3279880203', '1.2.3.4', '[::1]', '[::ffff:1.2.3.4]', '[64:ff9b::a00:1]', 'é', '😀', '\x80', '\u00a0',
);
const path = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
const host = fc.oneof(
  fc.array(fc.constantFrom('a', 'b', 'www', 'evil', 'xn--bcher-kva', 'bücher', 'Ex', '0', '1', '099', '0x1', '-', '_', '%2e', '%41'), { minLength: 1, maxLength: 7 }).map((l) => l.join('.')),
  fc.ipV4().map(String),
  fc.ipV4Extended(),
  fc.ipV6().map((a) => `[${a}]`),
  fc.domain(),
);
const scheme = fc.constantFrom('http://', 'https://', 'HTTP://', 'ftp://', '', '//', 'http:', 'http:\\\\', 'hxxp://');
const urlish = fc
  .tuple(scheme, fc.option(fc.constantFrom('user@', 'u:p@', 'a@b@'), { nil: '' }), host, fc.option(fc.constantFrom(':80', ':8080', ':'), { nil: '' }), path)
  .map(([s, u, h, p, rest]) => `${s}${u}${h}${p}${rest.startsWith('/') || rest.startsWith('?') ? rest : `/${rest}`}`);

const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const anyString = fc.oneof(urlish, fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 }), latin1, fc.webUrl({ withQueryParameters: true, withFragments: true }));

function tryCanonical(input: string): string | undefined {
  try {
    return canonicalizeUrl(input);
  } catch (error) {
    if (!(error instanceof IndicatorError)) throw error;
    return undefined;
  }
}

test('canonicalizeUrl throws nothing but IndicatorError on arbitrary strings', () => {
  fc.assert(
    fc.property(anyString, (input) => {
      tryCanonical(input);
      try {
        urlExpressions(input);
      } catch (error) {
        if (!(error instanceof IndicatorError)) throw error;
      }
    }),
    { numRuns: RUNS * 2 },
  );
});

test('canonicalizeUrl is idempotent and its output is printable ASCII', () => {
  fc.assert(
    fc.property(anyString, (input) => {
      const canonical = tryCanonical(input);
      if (canonical === undefined) return;
      assert.match(canonical, /^[a-z][a-z0-9+.-]*:\/\/[\x21-\x7e]+$/);
      assert.equal(canonicalizeUrl(canonical), canonical, JSON.stringify(input));
    }),
    { numRuns: RUNS * 2 },
  );
});

// An expression is host + path [+ query] of the canonical URL: prefixed with http:// it is a
// canonical URL in its own right, so one record key is reached from every URL below it.
test('every expression of a canonical URL is itself canonical', () => {
  fc.assert(
    fc.property(anyString, (input) => {
      const canonical = tryCanonical(input);
      if (canonical === undefined) return;
      const expressions = urlExpressions(canonical);
      assert.ok(expressions.length >= 1 && expressions.length <= 30);
      assert.equal(new Set(expressions).size, expressions.length);
      assert.equal(`${canonical.slice(0, canonical.indexOf('://') + 3)}${expressions[0]}`.replace(/\?$/, ''), canonical.replace(/\?$/, ''));
      for (const expression of expressions) assert.equal(canonicalizeUrl(`http://${expression}`), `http://${expression}`, expression);
    }),
    { numRuns: RUNS },
  );
});

// The host parts a browser would navigate to: for inputs WHATWG accepts and whose host needs
// no escaping, the canonical host is the browser's (Safe Browsing only adds dot tidying).
test('canonical host agrees with the WHATWG URL parser on browser-valid hosts', () => {
  const simple = fc.oneof(fc.ipV4Extended(), fc.ipV4().map(String), fc.domain(), fc.ipV6().map((a) => `[${a}]`), fc.constantFrom('BÜCHER.example', 'ÉVIL.Example', '１２７.０.０.１'));
  fc.assert(
    fc.property(simple, (h) => {
      let expected: string;
      try {
        expected = new URL(`http://${h}/`).hostname;
      } catch {
        assert.throws(() => canonicalizeUrl(`http://${h}/`), IndicatorError);
        return;
      }
      if (expected.startsWith('[')) {
        const ip = parseIp(expected);
        expected = ip.version === 4 ? ip.address : `[${ip.address}]`;
      }
      assert.equal(canonicalizeUrl(`http://${h}/`), `http://${expected}/`, h);
    }),
    { numRuns: RUNS },
  );
});

test('parseIp reads IPv4 forms exactly as the WHATWG URL parser does', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4Extended(), fc.ipV4().map(String)), (text) => {
      const browser = new URL(`http://${text}/`).hostname;
      assert.equal(parseIp(text).address, browser);
    }),
    { numRuns: RUNS },
  );
});

test('parseIp writes IPv6 as RFC 5952 text, which the WHATWG parser agrees with', () => {
  fc.assert(
    fc.property(fc.ipV6(), (text) => {
      const ip = parseIp(text);
      if (ip.version === 6) assert.equal(`[${ip.address}]`, new URL(`http://[${text}]/`).hostname);
      else assert.equal(ip.address, parseIp(`${new URL(`http://[${text}]/`).hostname}`).address);
      assert.equal(parseIp(ip.address).address, ip.address);
    }),
    { numRuns: RUNS },
  );
});

test('mostSpecificExpression is the first expression', () => {
  fc.assert(
    fc.property(anyString, (input) => {
      const canonical = tryCanonical(input);
      if (canonical !== undefined) assert.equal(mostSpecificExpression(canonical), urlExpressions(canonical)[0]);
    }),
    { numRuns: RUNS },
  );
});
