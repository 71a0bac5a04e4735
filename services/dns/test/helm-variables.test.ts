import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

const SCRIPT = fileURLToPath(new URL('../scripts/helm-variables.ts', import.meta.url));

test('the chart’s list of DNS variables is the one generated from the current schema', async () => {
  const run = await promisify(execFile)(process.execPath, ['--conditions=source', SCRIPT, '--check']).then(() => 0, (err: { code: number; stderr: string }) => {
    assert.fail(err.stderr);
  });
  assert.equal(run, 0);
});
