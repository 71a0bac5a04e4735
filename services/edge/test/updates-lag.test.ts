import assert from 'node:assert/strict';
import { test } from 'node:test';
import { updatesLagSeconds } from '../src/plugins/updates.ts';

test('updates lag: 0 when caught up, entry age while a backlog waits, read age while Redis is away', () => {
  const now = 1_800_000_010_000;
  assert.equal(updatesLagSeconds(now, { live: true, backlog: false, confirmedAt: now, position: '1700000000000-0' }), 0);
  assert.equal(updatesLagSeconds(now, { live: true, backlog: true, confirmedAt: now, position: '1800000004000-7' }), 6);
  assert.equal(updatesLagSeconds(now, { live: false, backlog: true, confirmedAt: now - 2500, position: '1800000004000-7' }), 2.5);
});
