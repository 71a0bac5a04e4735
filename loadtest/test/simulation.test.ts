import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { XMLValidator } from 'fast-xml-parser';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { floorShortfalls, runSimulation } from '@repute/simulator';
import { startDeployment } from './pipeline.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const TENANTS = 6;
// The bounds and why they hold given the injected noise are in README.md ("Test thresholds").
// The report looks every indicator up with one key (a tenant that sent nothing): the global view,
// where evidence from one tenant alone stays `suspicious`. Strict recall bounds are per kind on
// `malicious or suspicious`; what one tenant's evidence convicts in its own view is bounded by
// quality.test.ts.
const FILE_PRECISION = 0.9;

test('a seeded simulation through ingest, the correlator and the edge meets its quality bounds', async (t) => {
  const d = await startDeployment(t, TENANTS);
  const out = mkdtempSync(join(tmpdir(), 'repute-sim-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const report = await runSimulation({
    url: d.edgeUrl,
    ingestUrl: d.ingestUrl,
    key: d.lookupKey,
    ingestKeys: d.ingestKeysInOrder,
    seed: 20251,
    tenants: TENANTS,
    sensors: 80,
    campaigns: 8,
    // Six simulated hours in about twelve seconds: campaigns' times to conviction differ visibly.
    speedup: 1800,
    lag: d.lag,
    settle: { quietMs: 3000, timeoutMs: 40_000 },
    log: (line) => { if (line.startsWith('still changing') || line.includes('settled')) t.diagnostic(line); },
    outDir: out,
  });
  t.diagnostic(readFileSync(join(out, 'report.txt'), 'utf8'));
  assert.equal(report.events.rejected, 0, JSON.stringify(report.events.rejections));
  assert.equal(report.events.accepted, report.events.generated);
  assert.ok(report.settle.settled, 'verdicts settled');
  assert.equal(report.settle.lagZero, true);

  const k = report.evaluation.kinds;
  assert.deepEqual(floorShortfalls(report), []);
  // One seen in a single tenant never is (it is, in that tenant's own view).
  for (const c of report.campaigns.filter((x) => x.tenants === 1)) assert.notEqual(c.finalVerdict, 'malicious', `${c.id}, seen in one tenant, is convicted for everyone`);

  const svg = readFileSync(join(out, 'quality.svg'), 'utf8');
  assert.equal(XMLValidator.validate(svg), true, 'quality.svg is well-formed XML');
  assert.match(svg, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*viewBox/);
  for (const label of ['Precision and recall per indicator kind', 'Time to conviction per campaign', 'seconds (wall clock)']) assert.ok(svg.includes(label), label);
  const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { seed: number };
  assert.equal(json.seed, 20251);

  await t.test('benign signed software is not convicted, and files keep their precision', () => {
    assert.deepEqual(report.evaluation.convictedSignedSoftware.map((f) => f.value), []);
    assert.ok(k.file.strict.precision! >= FILE_PRECISION, `file precision ${k.file.strict.precision}`);
  });
});
