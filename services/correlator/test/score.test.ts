import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPolicy, loadPolicy } from '../src/policy/load-policy.ts';
import { assess, type IndicatorState } from '../src/scoring/score.ts';

const policy = loadPolicy();
const NOW = Date.UTC(2025, 5, 1);
const HOUR = 3_600_000;

function state(over: Partial<IndicatorState>): IndicatorState {
  return {
    kind: 'file', value: 'ab'.repeat(32), firstSeen: NOW - HOUR, lastSeen: NOW, sensors: 1, tenants: 1,
    detectingSensors: 0, detectingTenants: 0, signed: false, detections: [], graph: [], ...over,
  };
}

test('engine and sandbox detections from several sensors convict a file, with reasons', () => {
  const a = assess(state({
    sensors: 3, tenants: 2, detectingSensors: 3, detectingTenants: 2,
    detections: [
      { source: 'engine', engine: 'av1', category: 'malicious', at: NOW - HOUR, count: 2 },
      { source: 'engine', engine: 'av2', category: 'malicious', at: NOW - HOUR, count: 1 },
      { source: 'sandbox', engine: 'cuckoo', category: 'malicious', at: NOW - HOUR, count: 1 },
    ],
  }), policy, NOW);
  assert.equal(a.verdict, 'malicious');
  assert.equal(a.score, 100);
  assert.deepEqual(a.reasons.map((r) => [r.rule, r.weight, r.evidence]), [
    ['engine.malicious', 60, 3], ['sandbox.malicious', 60, 1], ['consensus.sensors', 15, 3], ['consensus.tenants', 15, 2],
  ]);
});

test('rarity alone is never malicious; one soft engine hit is at most suspicious', () => {
  assert.equal(assess(state({}), policy, NOW).verdict, 'unknown');
  const soft = assess(state({ detectingSensors: 1, detections: [{ source: 'engine', engine: 'ml', category: 'suspicious', at: NOW, count: 5 }] }), policy, NOW);
  assert.equal(soft.verdict, 'unknown');
  assert.ok(soft.score > 50 && soft.score < 85);
});

test('graph evidence alone needs two neighbours to convict and names them', () => {
  const from = (v: string) => ({ kind: 'file', value: v, key: `rep:file:${v}` });
  const one = assess(state({ kind: 'url', value: 'evil.example/a', graph: [{ from: from('f1'), rel: 'downloaded_from', hops: 1, weight: 80 }] }), policy, NOW);
  assert.equal(one.verdict, 'suspicious');
  assert.ok(one.reasons.some((r) => r.rule === 'guard.no_hard_evidence'));
  assert.equal(one.reasons[0]?.detail, 'file f1');
  const two = assess(state({ kind: 'url', value: 'evil.example/a', detectingSensors: 0, graph: [
    { from: from('f1'), rel: 'downloaded_from', hops: 1, weight: 40 }, { from: from('f2'), rel: 'downloaded_from', hops: 1, weight: 40 },
  ] }), policy, NOW);
  assert.equal(two.score, 90);
  assert.equal(two.verdict, 'malicious');
});

test('sources relayed by one node count as one neighbour, unless the relay is itself convicted', () => {
  const explorer = { kind: 'file', value: 'explorer', key: 'rep:file:explorer' };
  const relayed = (vouched: boolean) => ['p1', 'p2', 'p3'].map((p) => ({ from: explorer, source: `rep:file:${p}`, rel: 'parent', hops: 2, weight: 40, ...(vouched ? { vouched } : {}) }));
  const benignRelay = assess(state({ graph: relayed(false) }), policy, NOW);
  assert.equal(benignRelay.verdict, 'suspicious');
  assert.equal(benignRelay.reasons.filter((r) => r.rule === 'relation.parent').length, 1);
  assert.equal(assess(state({ graph: relayed(true) }), policy, NOW).verdict, 'malicious');
});

test('graph evidence counts in proportion on an indicator seen mostly apart from its accusers', () => {
  const from = (v: string) => ({ kind: 'file', value: v, key: `rep:file:${v}` });
  const accusers = (sensors: number, targetSensors: number) => ['f1', 'f2', 'f3'].map((f) => ({ from: from(f), rel: 'connected_to', hops: 1, weight: 30, sensors, targetSensors }));
  // Three programs seen on one machine each, contacting a site 30 machines browse.
  const site = assess(state({ kind: 'domain', value: 'popular.example', graph: accusers(1, 30) }), policy, NOW);
  assert.equal(site.verdict, 'unknown');
  assert.equal(site.reasons.find((r) => r.rule === 'prevalence.bystander')?.detail, 'accusers seen by 10% of its sensors; graph evidence x0.2');
  assert.equal(site.reasons.find((r) => r.rule === 'relation.connected_to')?.weight, 6);
  // The same programs on every machine that saw a C2 domain: full weight, and a polymorphic
  // family (one program per victim) adds up to the same.
  assert.equal(assess(state({ kind: 'domain', value: 'c2.example', graph: accusers(10, 10) }), policy, NOW).verdict, 'malicious');
  assert.equal(assess(state({ kind: 'domain', value: 'c2.example', graph: accusers(3, 9) }), policy, NOW).verdict, 'malicious');
  // Each testimony is judged by the sightings when it was given: a campaign's later growth
  // (a second witness recorded when 40 machines had beaconed) does not dilute the first.
  const grown = [{ ...accusers(2, 2)[0]!, from: from('payload') }, { ...accusers(3, 40)[0]!, from: from('stage2') }];
  assert.equal(assess(state({ kind: 'domain', value: 'c2.example', graph: grown }), policy, NOW).reasons.some((r) => r.rule === 'prevalence.bystander'), false);
  // Under `minSensors` the share says too little; evidence recorded without counts counts whole.
  assert.equal(assess(state({ kind: 'domain', value: 'new.example', graph: accusers(1, 3) }), policy, NOW).verdict, 'malicious');
  assert.equal(assess(state({ kind: 'domain', value: 'old.example', graph: accusers(1, 30).map(({ sensors: _, targetSensors: __, ...g }) => g) }), policy, NOW).verdict, 'malicious');
});

test('a URL that delivered a convicted file to several sensors is malicious; to one, suspicious', () => {
  const from = { kind: 'file', value: 'f1', key: 'rep:file:f1' };
  const once = assess(state({ kind: 'url', value: 'http://x.example/a.exe', graph: [{ from, rel: 'downloaded_from', hops: 1, weight: 60, convictedSensors: 1 }] }), policy, NOW);
  assert.equal(once.verdict, 'suspicious');
  const spread = assess(state({ kind: 'url', value: 'http://x.example/a.exe', graph: [{ from, rel: 'downloaded_from', hops: 1, weight: 60, convictedSensors: 4 }] }), policy, NOW);
  assert.equal(spread.verdict, 'malicious');
  assert.ok(spread.reasons.some((r) => r.rule === 'provenance.delivered_convicted' && r.evidence === 4));
});

test('signed or widespread files relay nothing; an override reason names only the rule', () => {
  assert.equal(assess(state({ signed: true }), policy, NOW).relays, false);
  assert.equal(assess(state({ sensors: 600, tenants: 30 }), policy, NOW).relays, false);
  assert.equal(assess(state({}), policy, NOW).relays, true);
  assert.deepEqual(assess(state({ override: { verdict: 'clean' } }), policy, NOW).reasons, [{ rule: 'override', weight: 0, evidence: 1 }]);
});

test('evidence decays with the kind half-life: IPs fade, file hashes do not', () => {
  const old = NOW - 14 * 24 * HOUR;
  const detections = [{ source: 'sandbox' as const, engine: 'sb', category: 'malicious' as const, at: old, count: 1 }];
  assert.equal(assess(state({ detections, detectingSensors: 1 }), policy, NOW).reasons[0]?.weight, 60);
  assert.equal(assess(state({ kind: 'ip', value: '203.0.113.9', detections, detectingSensors: 1 }), policy, NOW).reasons[0]?.weight, 15);
});

test('allow lists cap the verdict over a block list; an override wins over both', () => {
  const doc = JSON.parse(JSON.stringify(policy.doc));
  doc.blockLists = [{ id: 'bad-domains', entries: { domain: ['google.com'], file: ['cd'.repeat(32)] } }];
  const p = buildPolicy(doc, new URL('../policy/', import.meta.url).pathname);
  const listed = assess(state({ kind: 'domain', value: 'mail.google.com' }), p, NOW);
  assert.equal(listed.verdict, 'unknown');
  assert.equal(listed.propagates, false);
  assert.deepEqual(listed.reasons.map((r) => r.rule), ['list.block', 'allow.tranco10k']);
  assert.equal(assess(state({ value: 'cd'.repeat(32) }), p, NOW).verdict, 'malicious');
  const empty = assess(state({ value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', detections: [{ source: 'sandbox', engine: 'x', category: 'malicious', at: NOW, count: 1 }] }), p, NOW);
  assert.equal(empty.verdict, 'clean');
  assert.equal(assess(state({ kind: 'ip', value: '104.16.1.1' }), p, NOW).reasons.at(-1)?.rule, 'allow.cloudflare');
  const overridden = assess(state({ kind: 'domain', value: 'google.com', override: { verdict: 'malicious' } }), p, NOW);
  assert.deepEqual([overridden.verdict, overridden.reasons[0]?.rule], ['malicious', 'override']);
});

test('an invalid policy is refused with every problem listed', () => {
  assert.throws(() => buildPolicy({ ...policy.doc, thresholds: { malicious: 10, suspicious: 20, clean: 30 } }, '.'), { code: 'REPUTE_CORRELATOR_POLICY_INVALID' });
  assert.throws(() => buildPolicy({ version: 'x' }, '.'), (err: Error & { code: string }) => err.code === 'REPUTE_CORRELATOR_POLICY_INVALID' && err.message.includes('thresholds'));
});
