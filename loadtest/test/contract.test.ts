import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

// The API contract as a partner's generated client meets it: schemathesis (PyPI) with every
// check, against `npm start`'s system, over every operation of the published document. A fixed
// seed, a fixed number of examples and one worker make the run the same each time, so a
// failure here is a defect of the document or the service, never bad luck.
test('schemathesis with every check finds no failure in the published API document', { timeout: 1_200_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repute-contract-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'contract.json');
  const code = await new Promise<number | null>((done, fail) => {
    const run = spawn(process.execPath, ['--conditions=source', join(root, 'contract/run.ts'), '--max-examples', '25', '--seed', '20261207', '--workers', '1', '--out', out], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, INIT_CWD: dir },
    });
    run.on('error', fail);
    run.on('exit', done);
  });
  assert.equal(code, 0, 'the contract run completed');
  const result = JSON.parse(readFileSync(out, 'utf8')) as { figures: { unique_failures: number; operations: number }; failing_operations: Record<string, string[]> };
  const report = readFileSync(out.replace(/\.json$/, '.txt'), 'utf8');
  const serverLog = readFileSync(out.replace(/\.json$/, '.server.log'), 'utf8');
  assert.ok(result.figures.operations >= 70, `every operation was tested (${result.figures.operations})`);
  assert.equal(result.figures.unique_failures, 0, `failures by operation: ${JSON.stringify(result.failing_operations)}\n${report.slice(0, 20_000)}\nserver log:\n${serverLog.slice(-10_000)}`);
});
