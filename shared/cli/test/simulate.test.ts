import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repute } from './helpers.ts';

// The full run (keys minted and revoked, quality bounds, --strict) is exercised against `npm start`
// by services/launcher/test/system.test.ts; here, what fails before anything is sent.
test('simulate: wrong flags are usage errors, and no running system is reported clearly', async () => {
  const bad = await repute(['simulate', '--seed', 'seven'], {});
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--seed must be a non-negative integer/);
  const bound = await repute(['simulate', '--min-recall', '1.5'], {});
  assert.equal(bound.code, 2, bound.stderr);
  // A lists folder asked for by name and missing is an error, not a quiet switch to generated data.
  const missing = await repute(['simulate', '--data', '/nonexistent/repute-lists'], {});
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /--data \/nonexistent\/repute-lists: no indicator lists there/);
  const nothing = await repute(['simulate'], {});
  assert.equal(nothing.code, 1, nothing.stderr);
  assert.match(nothing.stderr, /npm start/);
});
