import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf, IndicatorError, lookupCandidates, parseIndicator, recordKey, sha256, urlExpressions } from '../src/index.ts';

test('a URL is decided by its expressions, then its host and the parents up to the registrable domain', () => {
  const p = lookupCandidates('url', 'HTTP://a.b.Evil.co.uk/x/y.exe?q=1');
  assert.equal(p.value, 'http://a.b.evil.co.uk/x/y.exe?q=1');
  // Every expression but the host roots (`a.b.evil.co.uk/` ...): those speak for their own page only.
  const expressions = urlExpressions(p.value);
  assert.deepEqual(p.candidates.filter((c) => c.kind === 'url').map((c) => c.label), expressions.filter((e) => !e.endsWith('uk/')));
  assert.ok(expressions.includes('evil.co.uk/'));
  // The root page itself, with or without a query, is decided by its root.
  assert.deepEqual(lookupCandidates('url', 'http://evil.co.uk/?id=7').candidates.filter((c) => c.kind === 'url').map((c) => c.label), ['evil.co.uk/?id=7', 'evil.co.uk/']);
  assert.deepEqual(lookupCandidates('url', 'http://www.evil.co.uk/').candidates.filter((c) => c.kind === 'url').map((c) => c.label), ['www.evil.co.uk/']);
  assert.deepEqual(p.candidates.filter((c) => c.kind === 'domain').map((c) => `${c.role}:${c.label}`), ['domain:a.b.evil.co.uk', 'parent:b.evil.co.uk', 'parent:evil.co.uk']);
  for (const c of p.candidates) assert.deepEqual(c.digest, sha256(c.label));
});

test('a URL on an IP host is decided by the address and its network; an IP lookup likewise', () => {
  const url = lookupCandidates('url', 'http://198.51.100.7/a');
  assert.deepEqual(url.candidates.filter((c) => c.kind === 'ip').map((c) => `${c.role}:${c.label}`), ['ip:198.51.100.7', 'network:198.51.100.0/24']);
  assert.deepEqual([...url.ipBytes!], [198, 51, 100, 7]);
  const ip = lookupCandidates('ip', '198.51.100.7');
  assert.deepEqual(ip.candidates.map((c) => `${c.role}:${c.label}`), ['exact:198.51.100.7', 'network:198.51.100.0/24']);
  // A URL host may be written 3325256711; an IP lookup may not (it would answer for an address nobody typed).
  assert.throws(() => lookupCandidates('ip', '3325256711'), (err: Error & { code?: string }) => err.code === 'REPUTE_INDICATOR_INVALID_IP');
  const block = lookupCandidates('ip', '198.51.100.9/24');
  assert.deepEqual(block.candidates.map((c) => c.label), ['198.51.100.0/24']);
  assert.equal(block.ipBytes, undefined);
});

test('an MD5 is decided by its pointer to a SHA-256 record and by its own record, under one digest', () => {
  const md5 = 'D41D8CD98F00B204E9800998ECF8427E';
  const p = lookupCandidates('file', md5);
  assert.deepEqual(p.candidates.map((c) => c.role), ['alias', 'exact']);
  assert.equal(p.candidates[0]!.alias, 'md5');
  for (const c of p.candidates) assert.deepEqual(c.digest, digestOf('file', md5.toLowerCase()));
  const sha = lookupCandidates('file', 'ab'.repeat(32));
  assert.deepEqual(sha.candidates.map((c) => c.digest.toString('hex')), ['ab'.repeat(32)]);
  assert.throws(() => lookupCandidates('file', 'xyz'), IndicatorError);
});

// A URL of ~3,000 non-ASCII characters was stored (its input is under the limit) while every
// lookup threw: the lookup canonicalised the canonical form again, nine times longer.
test('whatever parseIndicator accepts as a URL can be looked up, from its input and its canonical value', () => {
  for (const raw of [`http://a.example/${'é'.repeat(2700)}`, `http://a.example/${'€'.repeat(1800)}?${'ü'.repeat(50)}`, `http://a.example/${'😀'.repeat(1300)}`, `http://a.example/${'é'.repeat(3000)}`]) {
    let stored: ReturnType<typeof parseIndicator>;
    try {
      stored = parseIndicator('url', raw);
    } catch (error) {
      assert.ok(error instanceof IndicatorError && error.code === 'REPUTE_INDICATOR_TOO_LONG', raw.slice(0, 30));
      assert.throws(() => lookupCandidates('url', raw), (e: unknown) => e instanceof IndicatorError && e.code === 'REPUTE_INDICATOR_TOO_LONG');
      continue;
    }
    for (const input of [raw, stored.value]) {
      const lookup = lookupCandidates('url', input);
      assert.equal(lookup.value, stored.value);
      assert.equal(recordKey('url', lookup.candidates[0]!.digest), stored.key);
    }
  }
});
