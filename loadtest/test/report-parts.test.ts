import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeProfile, type CpuProfile } from '../src/flame-graph.ts';
import { createLatencyRecorder, percentiles } from '../src/latency.ts';
import { check, errorRate } from '../src/thresholds.ts';

test('percentiles are nearest-rank over the samples', () => {
  const p = percentiles(Array.from({ length: 100 }, (_, i) => i + 1));
  assert.equal(p.p50, 50);
  assert.equal(p.p99, 99);
  assert.equal(p.max, 100);
});

test('the latency recorder keeps sub-millisecond precision', () => {
  const r = createLatencyRecorder();
  for (let i = 0; i < 1000; i++) r.record(0.25);
  r.record(4.5);
  const s = r.summary();
  assert.ok(Math.abs(s.p50 - 0.25) < 0.001);
  assert.ok(Math.abs(s.max - 4.5) < 0.01);
});

test('a broken threshold is reported, and a missing value never passes', () => {
  const [ok, broken, missing] = check([
    { name: 'a', what: '', value: 4, limit: 5, kind: 'max' },
    { name: 'b', what: '', value: 0.5, limit: 0.8, kind: 'min' },
    { name: 'c', what: '', value: Number.NaN, limit: 1, kind: 'max' },
  ]);
  assert.equal(ok?.ok, true);
  assert.equal(broken?.ok, false);
  assert.equal(missing?.ok, false);
  assert.equal(errorRate({ ok: 999, non2xx: 1, errors: 0 }), 0.001);
});

test('a profile is summarised by self time within the windows, idle left out', () => {
  const frame = (functionName: string) => ({ functionName, url: functionName === 'work' ? 'file:///repo/services/x.ts' : '', lineNumber: 0 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3] },
      { id: 2, callFrame: frame('work'), children: [] },
      { id: 3, callFrame: frame('(idle)'), children: [] },
    ],
    startTime: 0,
    endTime: 10,
    samples: [2, 2, 3, 2, 3, 2],
    timeDeltas: [1, 1, 1, 1, 1, 100],
  };
  const s = summarizeProfile(profile, 't', '/repo', [{ startUs: 0, endUs: 50 }]);
  assert.equal(s.samples, 5);
  assert.equal(s.topSelf[0]?.name, 'work services/x.ts:1');
  assert.equal(s.topSelf[0]?.share, 100);
  assert.match(s.svg, /^<svg /);
});
