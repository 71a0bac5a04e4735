import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeRecord, encodeRecord, MAX_TENANT_VIEWS, recordForTenant, RecordError, VERDICT_RANK, worstVerdict } from '../src/index.ts';
import type { ReputationRecord, TenantView, Verdict } from '../src/index.ts';

const RECORD: ReputationRecord = {
  kind: 'url',
  value: 'http://evil.example/a',
  verdict: 'malicious',
  score: 92,
  confidence: 0.85,
  categories: ['malware', 'phishing'],
  firstSeen: 1_700_000_000_000,
  lastSeen: 1_700_000_360_000,
  prevalence: { sensors: 12, tenants: 3 },
  reasons: [
    { rule: 'feed.urlhaus', weight: 60, evidence: 1 },
    { rule: 'prevalence.burst', weight: 20 },
    { rule: 'graph.neighbour', weight: 12, detail: 'served 4 files with malicious verdicts' },
    { rule: 'analyst', weight: 0, evidence: 2, detail: 'confirmed' },
  ],
  version: 7,
  ttl: 300,
};

test('encodeRecord is a positional array with the format version first', () => {
  const text = encodeRecord(RECORD);
  const array = JSON.parse(text) as unknown[];
  assert.equal(array[0], 1);
  assert.equal(array.length, 14);
  assert.ok(text.length < JSON.stringify(RECORD).length * 0.7, 'compact');
  assert.deepEqual(decodeRecord(text), RECORD);
});

test('decodeRecord rejects garbage with REPUTE_RECORD_INVALID', () => {
  const good = JSON.parse(encodeRecord(RECORD)) as unknown[];
  const broken = (i: number, v: unknown) => JSON.stringify(good.map((x, j) => (j === i ? v : x)));
  const inputs = [
    '', 'null', '{}', '[]', 'not json', '[2]', JSON.stringify(good.slice(0, 13)), JSON.stringify([...good, 1]),
    broken(0, 99), broken(1, 'asn'), broken(2, ''), broken(3, 4), broken(3, 'malicious'), broken(4, 101), broken(4, -1), broken(5, 1.5), broken(6, [1]),
    broken(7, -5), broken(8, 1), broken(9, 1.5), broken(10, -1), broken(11, [['r']]), broken(11, [[1, 2]]), broken(11, [['r', 1, -1]]), broken(11, [['r', 1, null, 5]]),
    broken(12, 1.2), broken(13, -1), broken(13, '300'),
  ];
  for (const input of inputs) {
    assert.throws(() => decodeRecord(input), (e: unknown) => e instanceof RecordError && e.code === 'REPUTE_RECORD_INVALID', input.slice(0, 60));
  }
  assert.throws(() => encodeRecord({ ...RECORD, score: Number.NaN }), RecordError);
  assert.throws(() => encodeRecord({ ...RECORD, lastSeen: RECORD.firstSeen - 1 }), RecordError);
});

const VIEWED: ReputationRecord = {
  ...RECORD,
  verdict: 'suspicious',
  score: 55,
  views: {
    acme: { verdict: 'malicious', score: 90, confidence: 0.7, reasons: [{ rule: 'tenant.detections', weight: 60, evidence: 3 }, { rule: 'sandbox', weight: 30, detail: 'dropper' }] },
    beta: { verdict: 'clean', score: 5, confidence: 0.4, reasons: [] },
  },
};

test('tenant views ride as an optional 15th element and round-trip', () => {
  const array = JSON.parse(encodeRecord(VIEWED)) as unknown[];
  assert.equal(array.length, 15);
  assert.deepEqual(array[14], { acme: [3, 90, 0.7, [['tenant.detections', 60, 3], ['sandbox', 30, null, 'dropper']]], beta: [1, 5, 0.4, []] });
  assert.deepEqual(decodeRecord(encodeRecord(VIEWED)), VIEWED);
  // No views, or an empty object of them, is the 14-element record older readers know.
  assert.equal((JSON.parse(encodeRecord({ ...RECORD, views: {} })) as unknown[]).length, 14);
  assert.deepEqual(decodeRecord(encodeRecord({ ...RECORD, views: {} })), RECORD);
  // A tenant id that is also an Object.prototype name stays a plain key.
  const odd: ReputationRecord = { ...RECORD, views: JSON.parse('{"__proto__":{"verdict":"malicious","score":1,"confidence":1,"reasons":[]}}') as Record<string, TenantView> };
  const back = decodeRecord(encodeRecord(odd));
  assert.ok(Object.hasOwn(back.views!, '__proto__'));
  assert.equal(recordForTenant(back, '__proto__').verdict, 'malicious');
  assert.equal(recordForTenant(back, 'constructor').verdict, RECORD.verdict);
});

test('bad tenant views are rejected with REPUTE_RECORD_INVALID', () => {
  const good = JSON.parse(encodeRecord(VIEWED)) as unknown[];
  const withViews = (views: unknown) => JSON.stringify([...good.slice(0, 14), views]);
  const view = [3, 90, 0.7, []];
  const many = Object.fromEntries(Array.from({ length: MAX_TENANT_VIEWS + 1 }, (_, i) => [`t${i}`, view]));
  const inputs = [
    withViews(null), withViews([view]), withViews('acme'), withViews({}), withViews({ '': view }), withViews(many),
    withViews({ acme: null }), withViews({ acme: [3, 90, 0.7] }), withViews({ acme: [3, 90, 0.7, [], 1] }),
    withViews({ acme: [4, 90, 0.7, []] }), withViews({ acme: ['malicious', 90, 0.7, []] }), withViews({ acme: [3, 101, 0.7, []] }),
    withViews({ acme: [3, 90, -0.1, []] }), withViews({ acme: [3, 90, 0.7, [['r']]] }), withViews({ acme: [3, 90, 0.7, [['', 1]]] }),
    withViews({ acme: [3, 90, 0.7, {}] }), JSON.stringify([...good, 1]),
  ];
  for (const input of inputs) {
    assert.throws(() => decodeRecord(input), (e: unknown) => e instanceof RecordError && e.code === 'REPUTE_RECORD_INVALID', input.slice(-80));
  }
  const exactly = Object.fromEntries(Array.from({ length: MAX_TENANT_VIEWS }, (_, i) => [`t${i}`, view]));
  assert.equal(Object.keys(decodeRecord(withViews(exactly)).views!).length, MAX_TENANT_VIEWS);
  const bad = (v: Partial<TenantView>) => ({ ...RECORD, views: { acme: { ...VIEWED.views!['acme']!, ...v } } });
  assert.throws(() => encodeRecord(bad({ score: Number.NaN })), RecordError);
  assert.throws(() => encodeRecord(bad({ verdict: 'evil' as Verdict })), RecordError);
  assert.throws(() => encodeRecord(bad({ reasons: [{ rule: 'r', weight: 1, evidence: -1 }] })), RecordError);
  assert.throws(() => encodeRecord({ ...RECORD, views: { '': VIEWED.views!['acme']! } }), RecordError);
  assert.throws(() => encodeRecord({ ...RECORD, views: [] as unknown as Record<string, TenantView> }), RecordError);
  assert.throws(() => encodeRecord({ ...RECORD, views: Object.fromEntries(Array.from({ length: MAX_TENANT_VIEWS + 1 }, (_, i) => [`t${i}`, VIEWED.views!['beta']!])) }), RecordError);
});

test('recordForTenant: the tenant\'s view over the global record, never any views', () => {
  const acme = recordForTenant(VIEWED, 'acme');
  assert.deepEqual(acme, { ...RECORD, verdict: 'malicious', score: 90, confidence: 0.7, reasons: VIEWED.views!['acme']!.reasons });
  assert.equal('views' in acme, false);
  for (const tenant of ['gamma', undefined]) {
    const other = recordForTenant(VIEWED, tenant);
    assert.deepEqual(other, { ...RECORD, verdict: 'suspicious', score: 55 });
    assert.equal('views' in other, false);
  }
  assert.equal(recordForTenant(RECORD, 'acme'), RECORD, 'a record without views is returned as it is');
});

test('record round trip (property)', () => {
  const verdict = fc.constantFrom<Verdict>('malicious', 'suspicious', 'clean', 'unknown');
  const count = fc.integer({ min: 0, max: 2 ** 40 });
  const reason = fc.record({ rule: fc.string({ minLength: 1, maxLength: 20 }), weight: fc.double({ noNaN: true, noDefaultInfinity: true }), evidence: fc.option(fc.nat(), { nil: undefined }), detail: fc.option(fc.string({ unit: 'binary', maxLength: 30 }), { nil: undefined }) }, { requiredKeys: ['rule', 'weight'] });
  const view = fc.record({ verdict, score: fc.double({ min: 0, max: 100, noNaN: true }), confidence: fc.double({ min: 0, max: 1, noNaN: true }), reasons: fc.array(reason, { maxLength: 3 }) });
  const record = fc
    .record({
      kind: fc.constantFrom('file', 'url', 'domain', 'ip', 'email' as const),
      value: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
      verdict,
      score: fc.double({ min: 0, max: 100, noNaN: true }),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
      categories: fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
      firstSeen: count,
      span: count,
      prevalence: fc.record({ sensors: count, tenants: count }),
      reasons: fc.array(reason, { maxLength: 5 }),
      version: fc.maxSafeNat(),
      ttl: fc.nat(),
      views: fc.option(fc.dictionary(fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }), view, { minKeys: 1, maxKeys: 5 }), { nil: undefined }),
    }, { requiredKeys: ['kind', 'value', 'verdict', 'score', 'confidence', 'categories', 'firstSeen', 'span', 'prevalence', 'reasons', 'version', 'ttl'] })
    .map(({ span, ...r }) => ({ ...r, lastSeen: r.firstSeen + span }) as ReputationRecord);
  fc.assert(
    fc.property(record, (r) => {
      // -0 does not survive JSON; records never mean it.
      const normal = JSON.parse(JSON.stringify(r)) as ReputationRecord;
      assert.deepEqual(decodeRecord(encodeRecord(r)), normal);
    }),
    { numRuns: 500 },
  );
});

test('worstVerdict orders malicious > suspicious > clean > unknown', () => {
  const order: Verdict[] = ['unknown', 'clean', 'suspicious', 'malicious'];
  for (let i = 0; i < order.length; i++) {
    assert.equal(VERDICT_RANK[order[i]!], i);
    for (let j = 0; j < order.length; j++) assert.equal(worstVerdict(order[i]!, order[j]!), order[Math.max(i, j)]);
  }
});
