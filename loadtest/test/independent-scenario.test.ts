import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scenario } from '@repute/simulator';
import { validateAndCanonicalize } from '@repute/telemetry';
import { generateIndependentScenario } from '../quality/independent/index.ts';

const DAY = 86_400_000;
const options = { seed: 1, start: Date.UTC(2025, 2, 3, 6), durationMs: 7 * DAY };
const scenario: Scenario = generateIndependentScenario(options);

type Kind = 'file' | 'url' | 'domain' | 'ip';

// Read independently of the generator's own bookkeeping: every indicator the event names,
// and the host of every URL (a name or an address).
function indicators(event: Scenario['events'][number]['event']): [Kind, string][] {
  const out: [Kind, string][] = [];
  const url = (u: string): void => {
    out.push(['url', u]);
    const host = new URL(u).hostname;
    out.push([/^[0-9.]+$/.test(host) || host.startsWith('[') ? 'ip' : 'domain', host.replace(/^\[|\]$/g, '')]);
  };
  if (event.file) out.push(['file', event.file.sha256]);
  if (event.url) url(event.url);
  if (event.domain) out.push(['domain', event.domain]);
  if (event.ip) out.push(['ip', event.ip]);
  const r = event.relations;
  if (r?.parentFile) out.push(['file', r.parentFile.sha256]);
  if (r?.downloadedFrom) url(r.downloadedFrom);
  for (const ip of r?.resolvedIps ?? []) out.push(['ip', ip]);
  for (const u of r?.carriedUrls ?? []) url(u);
  for (const f of r?.attachments ?? []) out.push(['file', f.sha256]);
  return out;
}

const truth = new Map(scenario.truth.map((t) => [`${t.kind}:${t.value}`, t]));

test('the same seed gives the same scenario, another seed another one', () => {
  assert.equal(JSON.stringify(generateIndependentScenario(options)), JSON.stringify(scenario));
  const other = generateIndependentScenario({ ...options, seed: 2 });
  assert.notEqual(other.events[0]?.event.id, scenario.events[0]?.event.id);
  assert.notDeepEqual(other.truth.slice(0, 50), scenario.truth.slice(0, 50));
});

test('events are in time order, inside the window, with unique ids', () => {
  const { start, end } = scenario.window;
  assert.equal(start, options.start);
  assert.equal(end, options.start + options.durationMs);
  const ids = new Set<string>();
  let last = -Infinity;
  for (const { event } of scenario.events) {
    assert.equal(event.v, 1);
    assert.ok(event.time >= last, `event ${event.id} out of order`);
    assert.ok(event.time >= start && event.time <= end, `event ${event.id} outside the window`);
    assert.ok(!ids.has(event.id), `duplicate id ${event.id}`);
    ids.add(event.id);
    last = event.time;
  }
  assert.ok(scenario.events.length >= 30_000 && scenario.events.length <= 70_000, `${scenario.events.length} events`);
});

test('every event is valid telemetry and already in canonical form', () => {
  const { end } = scenario.window;
  for (const [i, { event }] of scenario.events.entries()) {
    const result = validateAndCanonicalize(event, i, { now: end, maxAgeMs: options.durationMs + DAY });
    assert.ok(result.ok, `event ${event.id} rejected: ${result.ok ? '' : `${result.reason} ${result.field} ${result.detail}`}`);
    // Canonical input means the truth labels name exactly what the service will store.
    assert.deepEqual(result.event, event);
  }
});

test('every indicator in the stream has exactly one label, and both labels occur for each kind', () => {
  assert.equal(truth.size, scenario.truth.length, 'an indicator is labelled twice');
  const labels = new Map<Kind, Set<string>>();
  for (const { event } of scenario.events) {
    for (const [kind, value] of indicators(event)) {
      const entry = truth.get(`${kind}:${value}`);
      assert.ok(entry !== undefined, `${kind} ${value} has no label`);
      const set = labels.get(kind) ?? new Set<string>();
      set.add(entry.label);
      labels.set(kind, set);
    }
  }
  for (const kind of ['file', 'url', 'domain', 'ip'] as const) {
    assert.deepEqual([...(labels.get(kind) ?? [])].sort(), ['benign', 'malicious'], kind);
  }
  for (const t of scenario.truth) {
    if (t.label === 'malicious') assert.ok(t.campaign !== undefined, `malicious ${t.kind} ${t.value} has no campaign`);
    else assert.equal(t.campaign, undefined);
  }
});

test('shared infrastructure and popular things are labelled with their roles', () => {
  const roles = new Set(scenario.truth.filter((t) => t.label === 'benign').flatMap((t) => [t.role, ...(t.tags ?? [])]));
  for (const role of [
    'public-resolver', 'ip-echo', 'shortener', 'cdn-ip', 'sinkhole', 'file-share-host', 'free-hosting', 'compromised-site',
    'compromised-site-ip', 'popular-site', 'cloud-address', 'system-software', 'popular-software', 'popular-url',
  ]) {
    assert.ok(roles.has(role), `no benign ${role}`);
  }
  for (const ip of ['8.8.8.8', '1.1.1.1']) assert.equal(truth.get(`ip:${ip}`)?.role, 'public-resolver');
});

test('the attacker tenant poisons popular benign indicators that customers also see', () => {
  assert.equal(scenario.attacker, scenario.tenants[scenario.tenants.length - 1]);
  assert.equal(scenario.tenants.length, 12);
  const poisoned = scenario.truth.filter((t) => t.role === 'poisoned');
  assert.ok(poisoned.length >= 3);
  const kinds = new Set(poisoned.map((t) => t.kind));
  for (const kind of ['file', 'url', 'domain']) assert.ok(kinds.has(kind as Kind), `no poisoned ${kind}`);
  const byCustomers = new Set<string>();
  const byAttacker = new Set<string>();
  for (const e of scenario.events) {
    for (const [kind, value] of indicators(e.event)) (e.tenant === scenario.attacker ? byAttacker : byCustomers).add(`${kind}:${value}`);
  }
  for (const t of poisoned) {
    assert.equal(t.label, 'benign');
    assert.ok(byAttacker.has(`${t.kind}:${t.value}`), `${t.value} not reported by the attacker`);
    assert.ok(byCustomers.has(`${t.kind}:${t.value}`), `${t.value} never seen by a customer`);
  }
  assert.ok(scenario.events.some((e) => e.tenant === scenario.attacker && e.event.verdict?.category === 'malicious'));
});

test('campaigns are timed and counted from their events, with a malicious primary', () => {
  const malware = scenario.campaigns.filter((c) => c.vector !== 'phishing');
  const phishing = scenario.campaigns.filter((c) => c.vector === 'phishing');
  assert.ok(malware.length >= 25 && malware.length <= 40, `${malware.length} malware campaigns`);
  assert.ok(phishing.length >= 40 && phishing.length <= 70, `${phishing.length} phishing campaigns`);
  const ids = new Set(scenario.campaigns.map((c) => c.id));
  for (const e of scenario.events) if (e.campaign !== undefined) assert.ok(ids.has(e.campaign), `unknown campaign ${e.campaign}`);
  for (const c of scenario.campaigns) {
    const events = scenario.events.filter((e) => e.campaign === c.id);
    assert.equal(c.start, events[0]!.event.time);
    assert.equal(c.end, events[events.length - 1]!.event.time);
    assert.ok(c.victims >= 1 && c.tenants >= 1 && c.tenants <= c.victims);
    const primary = truth.get(`${c.primary.kind}:${c.primary.value}`);
    assert.equal(primary?.label, 'malicious', `${c.id} primary`);
    assert.equal(primary?.campaign, c.id);
  }
  assert.ok(scenario.campaigns.some((c) => c.tenants === 1) && scenario.campaigns.some((c) => c.tenants >= 4));
});
