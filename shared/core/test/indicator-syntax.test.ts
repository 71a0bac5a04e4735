import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalizeUrl, HTTP_URL_SYNTAX, INDICATOR_KINDS, INDICATOR_SYNTAX, IndicatorError, indicatorSyntaxProblem, IP_ADDRESS_SYNTAX, MAX_API_URL_LENGTH, parseIndicator, parseIp, PATH_SYNTAX, syntaxProblem } from '../src/index.ts';

// REPUTE_PROPERTY_RUNS raises the count for a deeper, slower search.
const RUNS = Number(process.env.REPUTE_PROPERTY_RUNS ?? 2000);

const matching = (pattern: string, maxLength: number) => fc.stringMatching(new RegExp(pattern)).filter((s) => s.length <= maxLength);

// The API syntax is what the OpenAPI document promises: every text it admits must parse, and
// its canonical form must be admitted again (a stored indicator can be looked up).
for (const kind of INDICATOR_KINDS) {
  const syntax = INDICATOR_SYNTAX[kind];
  test(`every ${kind} the API syntax admits parses, and its canonical form is admitted again`, () => {
    fc.assert(fc.property(matching(syntax.pattern, syntax.maxLength), (text) => {
      assert.equal(indicatorSyntaxProblem(kind, text), null);
      const parsed = parseIndicator(kind, text);
      assert.equal(indicatorSyntaxProblem(kind, parsed.value), null, `${JSON.stringify(text)} → ${JSON.stringify(parsed.value)}`);
    }), { numRuns: RUNS });
  });

  test(`the path syntax of ${kind} admits a subset of the API syntax`, () => {
    fc.assert(fc.property(matching(PATH_SYNTAX[kind].pattern, PATH_SYNTAX[kind].maxLength), (text) => {
      assert.equal(indicatorSyntaxProblem(kind, text), null);
      assert.ok(!text.includes('%'), 'a path value the document admits carries no escape');
    }), { numRuns: RUNS });
  });
}

test('every single address the IP lookup syntax admits parses', () => {
  fc.assert(fc.property(matching(IP_ADDRESS_SYNTAX.pattern, IP_ADDRESS_SYNTAX.maxLength), (text) => {
    parseIp(text);
    parseIndicator('ip', text);
  }), { numRuns: RUNS });
});

test('every webhook URL the HTTP syntax admits is an absolute http(s) URL without credentials', () => {
  fc.assert(fc.property(matching(HTTP_URL_SYNTAX.pattern, HTTP_URL_SYNTAX.maxLength), (text) => {
    const url = new URL(text);
    assert.ok(url.protocol === 'http:' || url.protocol === 'https:');
    assert.equal(url.username + url.password, '');
  }), { numRuns: RUNS });
});

test('URLs at the longest API length still canonicalise (the canonical form grows by at most 8)', () => {
  for (const text of ['a'.repeat(MAX_API_URL_LENGTH), `a.b/${'%41'.repeat(5000)}`.slice(0, MAX_API_URL_LENGTH), `x.y?${'"'.repeat(MAX_API_URL_LENGTH - 4)}`]) {
    assert.equal(indicatorSyntaxProblem('url', text), null);
    assert.ok(canonicalizeUrl(text).length <= MAX_API_URL_LENGTH + 8);
  }
});

test('canonical forms of what sensors send (Unicode, IDN, IPv6, escapes) are API text', () => {
  const inputs = ['http://bücher.example/straße?q=ü#frag', 'http://a.\u{1F600}x.example/', 'http://xn--a.\uD800x.example/', 'HTTP://EXAMPLE.COM/a/../b/./c', 'https://[2001:DB8::1]:8443/x', 'http://3279880203/x', 'http://1.2.3.4/%zz', 'evil.example/ a b', 'http://x%5C@evil.example/malware.exe'];
  for (const input of inputs) {
    const canonical = canonicalizeUrl(input);
    assert.equal(indicatorSyntaxProblem('url', canonical), null, `${input} → ${canonical}`);
  }
});

test('the API syntax refuses what it does not promise, naming why', () => {
  const refused: [Parameters<typeof indicatorSyntaxProblem>[0], string][] = [
    ['file', 'ｄ41d8cd98f00b204e9800998ecf8427e'], ['file', ' d41d8cd98f00b204e9800998ecf8427e'], ['file', 'abc'],
    ['ip', '010.0.0.1'], ['ip', '1.2.3'], ['ip', '2130706433'], ['ip', '10.0.0.0/33'], ['ip', '[::1]'],
    ['domain', 'a..b'], ['domain', 'example.123'], ['domain', 'bücher.example'], ['domain', `${'a'.repeat(64)}.com`],
    ['email', 'a@b@c.example'], ['email', '@example.com'], ['email', `${'a'.repeat(22)}.${'b'.repeat(22)}.${'c'.repeat(22)}@x.example`],
    ['url', 'http://exa mple.com/'], ['url', 'http://example.com/ü'], ['url', '/path/only'], ['url', 'http://[::1/'], ['url', 'http://a.b:65536/'], ['url', 'http://a.1/'], ['url', 'http://u@evil.example/'],
  ];
  for (const [kind, text] of refused) {
    const problem = indicatorSyntaxProblem(kind, text);
    assert.ok(problem !== null, `${kind} ${JSON.stringify(text)} admitted`);
    assert.match(problem, /^must be /);
  }
  assert.match(syntaxProblem(IP_ADDRESS_SYNTAX, '10.0.0.0/8') ?? '', /^must be /);
});

test('whatever the canonicaliser refuses, the URL syntax refuses too', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.webUrl({ withQueryParameters: true, withFragments: true })), (text) => {
    if (indicatorSyntaxProblem('url', text) !== null) return;
    try {
      canonicalizeUrl(text);
    } catch (error) {
      assert.ok(!(error instanceof IndicatorError), `${JSON.stringify(text)} admitted but refused: ${String(error)}`);
      throw error;
    }
  }), { numRuns: RUNS });
});

test('a host label whose IDN mapping yields ASCII no host holds stays escaped, so its canonical form is admitted again', () => {
  // U+037E (GREEK QUESTION MARK) maps to `;` under IDNA: found by the property above.
  for (const text of ['%Cd%bea.a', 'http://%CD%BE.example/x']) {
    assert.equal(indicatorSyntaxProblem('url', text), null);
    const parsed = parseIndicator('url', text);
    assert.equal(indicatorSyntaxProblem('url', parsed.value), null, parsed.value);
    assert.ok(!parsed.value.includes(';'), parsed.value);
  }
});
