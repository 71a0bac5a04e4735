import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateAndCanonicalize } from '@repute/telemetry';
import { generateScenario, planQuality, referenceConvictions, streamNdjson } from '../src/index.ts';

const now = Date.UTC(2025, 5, 1, 12);
const small = { tenants: 4, sensors: 30, campaigns: 4, now };

test('the same seed generates the same stream byte for byte; another seed does not', () => {
  const a = generateScenario({ seed: 7, ...small });
  const b = generateScenario({ seed: 7, ...small });
  const c = generateScenario({ seed: 8, ...small });
  const ndjson = streamNdjson(a.events);
  assert.ok(a.events.length > 500);
  assert.equal(ndjson, streamNdjson(b.events));
  assert.deepEqual(a.truth, b.truth);
  assert.deepEqual(a.campaigns, b.campaigns);
  assert.notEqual(ndjson, streamNdjson(c.events));
});

test('generated indicators are deterministic too, and every event passes the v1 schema', () => {
  // The default folder, one that holds no lists (the shipped pool) and none at all (generated).
  for (const dataDir of [undefined, join(tmpdir(), 'repute-simulator-no-such-data-dir'), null]) {
    const a = generateScenario({ seed: 3, ...small, ...(dataDir !== undefined ? { dataDir } : {}) });
    assert.equal(streamNdjson(a.events), streamNdjson(generateScenario({ seed: 3, ...small, ...(dataDir !== undefined ? { dataDir } : {}) }).events));
    a.events.forEach((e, i) => {
      const r = validateAndCanonicalize(e.event, i, { now });
      assert.ok(r.ok, JSON.stringify(r));
    });
    const ids = new Set(a.events.map((e) => e.event.id));
    assert.equal(ids.size, a.events.length, 'event ids are unique');
    const times = a.events.map((e) => e.event.time);
    assert.deepEqual(times, [...times].sort((x, y) => x - y), 'events are in time order');
  }
});

test('every campaign indicator is labelled malicious and nothing is labelled both ways', () => {
  const s = generateScenario({ seed: 11, ...small });
  const seen = new Map<string, string>();
  for (const t of s.truth) {
    const id = `${t.kind}:${t.value}`;
    assert.equal(seen.has(id), false, `${id} labelled twice`);
    seen.set(id, t.label);
    if (t.label === 'malicious') assert.ok(t.campaign !== undefined);
  }
  for (const c of s.campaigns) assert.equal(seen.get(`${c.primary.kind}:${c.primary.value}`), 'malicious');
});

const hard = { tenants: 4, sensors: 40, campaigns: 6, now, durationMs: 2 * 86_400_000, hardCases: { phishingCampaigns: 8 } };

test('the hard-case scenario is deterministic, valid v1 telemetry, and labels nothing twice', () => {
  const a = generateScenario({ seed: 5, ...hard });
  const b = generateScenario({ seed: 5, ...hard });
  assert.equal(streamNdjson(a.events), streamNdjson(b.events));
  assert.deepEqual(a.truth, b.truth);
  a.events.forEach((e, i) => {
    const r = validateAndCanonicalize(e.event, i, { now });
    assert.ok(r.ok, JSON.stringify(r));
  });
  const seen = new Set<string>();
  for (const t of a.truth) {
    const id = `${t.kind}:${t.value}`;
    assert.equal(seen.has(id), false, `${id} labelled twice`);
    seen.add(id);
    if (t.label === 'malicious') assert.ok(t.campaign !== undefined, id);
  }
  assert.equal(a.attacker, 'tenant-05');
  assert.ok(a.tenants.includes('tenant-05'));
  assert.ok(a.events.some((e) => e.tenant === 'tenant-05'));
});

test('without hard cases the scenario is the basic one: no attacker, no shared infrastructure', () => {
  const basic = generateScenario({ seed: 5, tenants: 4, sensors: 40, campaigns: 6, now, durationMs: 2 * 86_400_000 });
  assert.equal(basic.attacker, undefined);
  assert.ok(!basic.truth.some((t) => t.role === 'sinkhole' || t.role === 'poisoned'));
  assert.equal(streamNdjson(basic.events), streamNdjson(generateScenario({ seed: 5, tenants: 4, sensors: 40, campaigns: 6, now, durationMs: 2 * 86_400_000, hardCases: false }).events));
});

test('the quality plan looks malicious indicators up with their victims and poisoned ones with everyone but the attacker', () => {
  const s = generateScenario({ seed: 5, ...hard });
  const plan = planQuality(s);
  const reference = referenceConvictions(s.events);
  for (const l of plan.victims) {
    const it = plan.items[l.item]!;
    assert.ok(it.tenants.has(l.tenant), 'a victim lookup is made by a tenant that saw the indicator');
    assert.notEqual(l.tenant, s.attacker);
  }
  const poisoned = plan.items.filter((it) => it.poisoned);
  assert.equal(poisoned.length, 3, 'a URL, a file and a domain are poisoned');
  assert.equal(plan.poison.length, poisoned.length * (s.tenants.length - 1));
  assert.ok(plan.poison.every((l) => l.tenant !== s.attacker));
  // The naive reference scorer believes the poisoner: one detection convicts.
  for (const it of poisoned) assert.ok(reference.has(`${it.entry.kind}:${it.entry.value}`), it.entry.value);
  assert.ok(plan.items.every((it) => it.first <= s.window.end && it.tenants.size > 0));
});
