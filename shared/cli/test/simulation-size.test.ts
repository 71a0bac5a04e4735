import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sizeSimulation } from '../src/simulation-size.ts';

// The simulator's shape: a floor, then growth slower than the option (benign activity only).
const shaped = (floor: number) => (events: number): number => Math.round(floor + 0.28 * events + 5 * Math.sqrt(events));

test('sizeSimulation lands within 5% of the target in a few generations, or names the floor', () => {
  for (const target of [3000, 4000, 5000, 20_000, 100_000, 1_000_000]) {
    let tries = 0;
    const count = shaped(2500);
    const size = sizeSimulation(target, 480, (e) => { tries++; return count(e); });
    assert.ok('count' in size, `${target}: ${JSON.stringify(size)}`);
    assert.ok(Math.abs(size.count - target) <= target * 0.05, `${target}: ${size.count}`);
    assert.equal(size.count, count(size.events));
    assert.ok(tries <= 8, `${target}: ${tries} generations`);
  }
  assert.deepEqual(sizeSimulation(2000, 480, shaped(2500)), { floor: shaped(2500)(480) });
  // Within 10% of the floor is close enough: the floor itself is sent.
  const nearFloor = sizeSimulation(2600, 480, shaped(2500));
  assert.ok('count' in nearFloor && Math.abs(nearFloor.count - 2600) <= 260);
});
