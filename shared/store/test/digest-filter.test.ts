import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { BloomFilter } from 'bloom-filters';
import { DigestFilter } from '../src/digest-filter.ts';

function digests(n: number, label: string): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(createHash('sha256').update(`${label}:${i}`).digest());
  return out;
}

test('digest filter: no false negatives and the same false-positive rate as bloom-filters', () => {
  // 1% keeps the expected count of false positives near 1000, so the comparison is not noise.
  const n = 100_000;
  const fpr = 0.01;
  const present = digests(n, 'present');
  const absent = digests(n, 'absent');

  const ours = DigestFilter.forCapacity(n, fpr);
  for (const d of present) ours.add(d);
  for (const d of present) assert.equal(ours.has(d), true);
  let oursFp = 0;
  for (const d of absent) if (ours.has(d)) oursFp++;

  const theirs = BloomFilter.create(n, fpr);
  for (const d of present) theirs.add(d.toString('hex'));
  let theirsFp = 0;
  for (const d of absent) if (theirs.has(d.toString('hex'))) theirsFp++;

  const oursRate = oursFp / n;
  const theirsRate = theirsFp / n;
  assert.ok(Math.abs(oursRate - fpr) / fpr < 0.15, `our rate ${oursRate} is not within 15% of ${fpr}`);
  assert.ok(Math.abs(oursRate - theirsRate) / theirsRate < 0.2, `our rate ${oursRate} vs bloom-filters ${theirsRate}`);
});

test('digest filter: sizing follows m = -n ln p / ln²2 and round-trips through its bytes', () => {
  const f = DigestFilter.forCapacity(1_000_000, 0.001);
  assert.ok(Math.abs(f.m - 14_377_588) < 2);
  assert.equal(f.k, 10);
  const d = randomBytes(32);
  f.add(d);
  const copy = new DigestFilter(f.m, f.k, new Uint32Array(Uint8Array.from(f.bytes()).buffer), f.count);
  assert.equal(copy.has(d), true);
  assert.equal(copy.count, 1);
});
