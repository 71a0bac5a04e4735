import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { closeTestServices } from '@repute/infra/testkit';
import { startApiServer } from './api-server.ts';
import { repute } from './helpers.ts';

after(() => closeTestServices());

test('simulate --events N sends N events within 10%; fewer than the fleet sends at the least is a usage error', async (t) => {
  const api = await startApiServer('cli_simulate');
  const out = mkdtempSync(join(tmpdir(), 'repute-cli-simulate-'));
  t.after(async () => {
    await api.close();
    rmSync(out, { recursive: true, force: true });
  });
  // No correlator runs here, so no verdict moves: settling needs only its short timeout.
  const common = ['--generated', '--timeout', '1', '--quiet-ms', '100', '--out', out];
  for (const target of [4000, 12_000]) {
    const run = await repute(['--json', 'simulate', '--events', String(target), ...common], api.env);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { events: { generated: number; accepted: number; rejected: number } };
    assert.ok(Math.abs(report.events.generated - target) <= target * 0.1, `--events ${target} sent ${report.events.generated}`);
    assert.equal(report.events.accepted, report.events.generated, JSON.stringify(report.events));
  }

  const tooFew = await repute(['simulate', '--events', '100', ...common], api.env);
  assert.equal(tooFew.code, 2, tooFew.stderr);
  assert.match(tooFew.stderr, /--events 100: the smallest run of 80 sensors and 8 campaigns over 6 h sends about \d+ events; ask for at least \d+, or lower --sensors or --campaigns/);
});
