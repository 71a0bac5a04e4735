import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateAndCanonicalize } from '@repute/telemetry';
import { generateScenario, streamNdjson } from '../src/index.ts';

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
  for (const dataDir of [undefined, null]) {
    const a = generateScenario({ seed: 3, ...small, ...(dataDir === null ? { dataDir } : {}) });
    assert.equal(streamNdjson(a.events), streamNdjson(generateScenario({ seed: 3, ...small, ...(dataDir === null ? { dataDir } : {}) }).events));
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
