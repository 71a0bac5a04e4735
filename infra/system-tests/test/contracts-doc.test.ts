import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

const SCRIPT = fileURLToPath(new URL('../../../docs/scripts/contracts.ts', import.meta.url));

// docs/design/contracts.md is the packages' promise to each other: its interface blocks are
// generated from the code, and the functions it names elsewhere must exist.
test('docs/design/contracts.md is generated from the current interfaces and names only functions the packages have', async () => {
  const result = await promisify(execFile)(process.execPath, ['--conditions=source', SCRIPT, '--check']).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
  assert.equal(result.code, 0, result.stderr);
});
