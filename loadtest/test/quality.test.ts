import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { buildQualityBench, createVirtualClock, generateScenario, renderQualityTable, runQualityReplay, scoreSeed, type QualityBench, type QualityFigures } from '@repute/simulator';
import { startDeployment } from '../quality/deployment.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

/**
 * Quality floors of the small hard-case run below (seed 7 on the public lists, headline views as
 * in the bench: TPR in the victims' view, FPR, specificity, hubs and poisoning in the global view,
 * verdicts as they stood over time). A little under what the model passes (measured on the
 * evidence-model redesign: file TPR 0.94, URL 0.55, domain 0.54, every FPR 0, IP specificity 1,
 * no hub or poisoned conviction); the goals are QUALITY_GOALS in src/quality-report.ts. The zeros
 * are the goals themselves: a hub convicted or a tenant poisoning the others is a defect, not noise.
 */
export const QUALITY_FLOORS = {
  file_tpr: 0.85,
  url_tpr: 0.45,
  domain_tpr: 0.4,
  /** Highest FPRs tolerated. */
  file_fpr: 0.005,
  url_fpr: 0.002,
  domain_fpr: 0.005,
  ip_specificity: 0.995,
  /** Most hub convictions and poisoning successes tolerated (goal: 0). */
  hub_convictions: 0,
  poisoned_convictions: 0,
  explained_share: 1,
};

/**
 * What differs on the `shipped` pool (no public lists beside the checkout). Its made-up malicious
 * lists are shorter than the public ones, so the same seed draws other campaigns: in seed 7 two of
 * the six malware campaigns leave no detection of their files at all (measured file TPR 0.63, 12
 * of 19 victims' lookups; every other figure meets the floors above, hubs and poisoning at 0).
 */
const SHIPPED_FLOORS: Partial<typeof QUALITY_FLOORS> = { file_tpr: 0.55 };

const HARD_CASE_ROLES = [
  'public-resolver', 'ip-echo', 'shortener', 'cdn-ip', 'sinkhole', 'file-share-host', 'free-hosting',
  'compromised-site', 'compromised-site-benign-url', 'compromised-site-ip', 'compromised-site-url',
  'engine-fp', 'retracted-fp', 'poisoned', 'phishing-url', 'phishing-domain', 'shortener-url', 'file-share-url',
];
const DAY = 86_400_000;

test('a small hard-case scenario through ingest, the correlator and the edge gives a complete quality report', async (t) => {
  const durationMs = 2 * DAY;
  const scenario = generateScenario({ seed: 7, tenants: 4, sensors: 60, campaigns: 6, durationMs, now: Date.now() + durationMs + 60_000, hardCases: { phishingCampaigns: 10 } });
  // The floors hold on the public lists beside the checkout (`../shared/data`) and, in a clone
  // without them, on the `shipped` pool: top sites, cloud ranges, known-good hashes and
  // sinkholes from the warning lists the policy ships, as a deployment's allow lists know them.
  // The repository ships those lists, so a fully made-up pool (whose infrastructure no allow
  // list knows) means they went missing: a failure, not a reason to skip.
  assert.notEqual(scenario.indicatorSource, 'generated', 'the scenario is built on the shipped warning lists at least');
  const floors = scenario.indicatorSource === 'shipped' ? { ...QUALITY_FLOORS, ...SHIPPED_FLOORS } : QUALITY_FLOORS;
  const roles = new Set(scenario.truth.map((e) => e.role));
  for (const role of HARD_CASE_ROLES) assert.ok(roles.has(role), `role ${role} in the truth`);

  const clock = createVirtualClock(scenario.window.start);
  clock.install();
  let bench: QualityBench | undefined;
  try {
    const d = await startDeployment({ tenants: scenario.tenants, correlatorEnv: { BUS_CLAIM_MIN_IDLE_MS: String(6 * 3_600_000) } });
    try {
      const replay = await runQualityReplay({
        scenario, edgeUrl: d.edgeUrl, ingestUrl: d.ingestUrl, ingestKeys: d.ingestKeys, lookupKeys: d.lookupKeys,
        observerKey: d.observerKey, lag: d.lag, clock, checkpointMs: 12 * 3_600_000,
      });
      assert.equal(replay.events.rejected, 0, JSON.stringify(replay.events.rejections));
      assert.equal(replay.events.accepted, scenario.events.length);
      assert.equal(replay.checkpoints.length, 4);
      assert.equal(replay.unsettled, 0, 'verdicts settled at every checkpoint');
      bench = buildQualityBench([scoreSeed(scenario, replay)], { test: true });
    } finally {
      await d.close();
    }
  } finally {
    clock.uninstall();
  }
  assert.ok(bench !== undefined);
  t.diagnostic(`indicators from ${scenario.indicatorSource}\n${renderQualityTable(bench)}`);

  const f = bench.figures;
  const required: (keyof QualityFigures)[] = ['file_tpr', 'file_fpr', 'url_tpr', 'url_fpr', 'domain_tpr', 'domain_fpr', 'ip_specificity', 'hub_convictions', 'poisoned_convictions', 'explained_share', 'time_to_conviction_median_h', 'convicted_while_active_share'];
  for (const name of required) assert.equal(typeof f[name], 'number', `figure ${name}`);
  for (const name of Object.keys(bench.goals)) assert.equal(typeof bench.met[name as keyof typeof bench.met], 'boolean');
  const seed = bench.seeds[0]!;
  assert.equal(seed.series.length, 4);
  assert.ok(seed.time.victims.total > 0 && seed.lookups.poison === 3 * (scenario.tenants.length - 1));
  // The naive reference believes the poisoner and the noisy engine: the baseline must show it.
  assert.ok(bench.baseline.poisoned_convictions >= 2, `baseline poisoned ${bench.baseline.poisoned_convictions}`);
  assert.ok((bench.baseline.file_fpr ?? 0) > 0);

  assert.equal(f.explained_share, floors.explained_share, 'every non-unknown answer carries a reason');
  assert.ok(f.file_tpr! >= floors.file_tpr, `file TPR ${f.file_tpr}`);
  assert.ok(f.url_tpr! >= floors.url_tpr, `url TPR ${f.url_tpr}`);
  assert.ok(f.domain_tpr! >= floors.domain_tpr, `domain TPR ${f.domain_tpr}`);
  assert.ok(f.file_fpr! <= floors.file_fpr, `file FPR ${f.file_fpr}`);
  assert.ok(f.url_fpr! <= floors.url_fpr, `url FPR ${f.url_fpr}`);
  assert.ok(f.domain_fpr! <= floors.domain_fpr, `domain FPR ${f.domain_fpr}`);
  assert.ok(f.ip_specificity! >= floors.ip_specificity, `ip specificity ${f.ip_specificity}`);
  assert.ok(f.hub_convictions <= floors.hub_convictions, `hub convictions ${f.hub_convictions}`);
  assert.ok(f.poisoned_convictions <= floors.poisoned_convictions, `poisoned convictions ${f.poisoned_convictions}`);
});
