import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { XMLValidator } from 'fast-xml-parser';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { runSimulation } from '../src/index.ts';
import { startDeployment } from './pipeline.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const TENANTS = 6;
// The bounds and why they hold given the injected noise are in README.md ("Test thresholds").
const BOUNDS = { fileRecall: 0.8, urlRecall: 0.75, urlDomainIpPrecision: 0.95, severeRecall: 0.75, convictedCampaigns: 0.75, filePrecision: 0.9 };

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
    outDir: out,
  });
  t.diagnostic(readFileSync(join(out, 'report.txt'), 'utf8'));
  assert.equal(report.events.rejected, 0, JSON.stringify(report.events.rejections));
  assert.equal(report.events.accepted, report.events.generated);
  assert.ok(report.settle.settled, 'verdicts settled');
  assert.equal(report.settle.lagZero, true);

  const k = report.evaluation.kinds;
  assert.ok(k.file.strict.recall! >= BOUNDS.fileRecall, `file recall ${k.file.strict.recall}`);
  assert.ok(k.url.strict.recall! >= BOUNDS.urlRecall, `url recall ${k.url.strict.recall}`);
  for (const kind of ['url', 'domain', 'ip'] as const) {
    const p = k[kind].strict.precision;
    assert.ok(p === null || p >= BOUNDS.urlDomainIpPrecision, `${kind} precision ${p}`);
  }
  assert.ok(k.all.severe.recall! >= BOUNDS.severeRecall, `malicious-or-suspicious recall ${k.all.severe.recall}`);
  const convicted = report.campaigns.filter((c) => c.timeToMaliciousMs !== null).length;
  assert.ok(convicted >= BOUNDS.convictedCampaigns * report.campaigns.length, `${convicted} campaigns convicted`);

  const svg = readFileSync(join(out, 'quality.svg'), 'utf8');
  assert.equal(XMLValidator.validate(svg), true, 'quality.svg is well-formed XML');
  assert.match(svg, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*viewBox/);
  for (const label of ['Precision and recall per indicator kind', 'Time to conviction per campaign', 'seconds (wall clock)']) assert.ok(svg.includes(label), label);
  const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { seed: number };
  assert.equal(json.seed, 20251);

  await t.test('benign signed software is not convicted, and files keep their precision', () => {
    assert.deepEqual(report.evaluation.convictedSignedSoftware.map((f) => f.value), []);
    assert.ok(k.file.strict.precision! >= BOUNDS.filePrecision, `file precision ${k.file.strict.precision}`);
  });
});
