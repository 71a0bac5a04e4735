import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ReputationRecord, TenantView } from '@repute/core';
import type { VerdictLogRow } from '@repute/analytics';
import { removeTestClickHouseData, testClickHouse } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { createReputationStore } from '@repute/store';
import { harness } from './helpers.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

// One file convicted in tenant t-own's view only (global verdict suspicious), one convicted
// globally. Written as the correlator writes them: the record in Redis, and a verdict-log row
// for the global verdict (a tenant's view is not a global verdict change).
const VIEWED = 'ab'.repeat(32);
const GLOBAL = 'cd'.repeat(32);
const VIEW: TenantView = { verdict: 'malicious', score: 88, confidence: 0.75, reasons: [{ rule: 'tenant.sandbox', weight: 70, evidence: 1 }] };

function record(value: string, verdict: ReputationRecord['verdict'], views?: Record<string, TenantView>): ReputationRecord {
  return {
    kind: 'file', value, verdict, score: verdict === 'malicious' ? 95 : 45, confidence: 0.9, categories: ['malware'],
    firstSeen: Date.now() - 60_000, lastSeen: Date.now(), prevalence: { sensors: 2, tenants: 1 },
    reasons: [{ rule: 'consensus.engines', weight: 40, evidence: 2 }], version: 1, ttl: 300, ...(views !== undefined ? { views } : {}),
  };
}

async function seed(h: Awaited<ReturnType<typeof harness>>): Promise<void> {
  const store = createReputationStore(h.redis, { prefix: h.prefix });
  const records = [record(VIEWED, 'suspicious', { 't-own': VIEW }), record(GLOBAL, 'malicious')];
  for (const r of records) await store.write(r);
  const clickhouse = testClickHouse();
  try {
    const rows: VerdictLogRow[] = records.map((r) => ({
      time: Date.now(), kind: r.kind, digest: r.value, value: r.value, verdict: r.verdict, previous_verdict: 'unknown', score: r.score,
      confidence: r.confidence, source: 'stream', reasons: JSON.stringify(r.reasons), policy_version: 'test', record_version: r.version,
    }));
    await clickhouse.insert({ table: `${h.database}.verdict_log`, values: rows, format: 'JSONEachRow' });
  } finally {
    await clickhouse.close();
  }
}

test('indicator route: the caller\'s tenant sees its own view; another tenant the global record; nobody sees views', async (t) => {
  const h = await harness(t);
  await seed(h);
  const own = await h.get(`/v1/indicators/file/${VIEWED}`, await h.key('t-own', ['analyst']));
  assert.equal(own.status, 200, own.text);
  assert.equal(own.body.verdict, 'malicious');
  assert.equal(own.body.record.verdict, 'malicious');
  assert.equal(own.body.record.score, 88);
  assert.equal(own.body.record.confidence, 0.75);
  // Fewer than k tenants saw it: the view's reasons come without their counts.
  assert.deepEqual(own.body.record.reasons, VIEW.reasons.map(({ evidence: _, ...r }) => r));
  assert.deepEqual(own.body.record.categories, ['malware'], 'the rest comes from the global record');
  assert.ok(!own.text.includes('views'), own.text);

  const other = await h.get(`/v1/indicators/file/${VIEWED}`, await h.key('t-other', ['analyst']));
  assert.equal(other.status, 200, other.text);
  assert.equal(other.body.verdict, 'suspicious');
  assert.equal(other.body.record.score, 45);
  assert.deepEqual(other.body.record.reasons.map((r: { rule: string }) => r.rule), ['consensus.engines']);
  assert.ok(!other.text.includes('views') && !other.text.includes('t-own'), other.text);
});

test('feeds, STIX, TAXII and partner lookups publish only the global verdict', async (t) => {
  const h = await harness(t);
  await seed(h);
  // Even a partner key of the view's own tenant: what is published is never a tenant's view.
  const partner = await h.key('t-own', ['partner']);
  const text = await h.get('/v1/feeds/file', partner);
  assert.equal(text.status, 200, text.text);
  assert.deepEqual(text.text.trim().split('\n'), [GLOBAL]);
  const csv = await h.get('/v1/feeds/file?format=csv', partner);
  assert.equal(csv.text.trim().split('\r\n').length, 2);
  assert.ok(!csv.text.includes(VIEWED));
  const stix = await h.get('/v1/feeds/file?format=stix', partner);
  assert.equal(stix.body.objects.length, 1);
  assert.ok(!stix.text.includes(VIEWED));

  const taxii = { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${partner}` };
  const collections = (await h.app.inject({ url: '/taxii2/feeds/collections/', headers: taxii })).json().collections;
  const files = collections.find((c: { title: string }) => c.title === 'Malicious file indicators');
  const objects = await h.app.inject({ url: `/taxii2/feeds/collections/${files.id}/objects/`, headers: taxii });
  assert.equal(objects.statusCode, 200, objects.body);
  assert.ok(objects.body.includes(GLOBAL));
  assert.ok(!objects.body.includes(VIEWED));

  const lookup = await h.get(`/v1/partner/reputation/file/${VIEWED}`, partner);
  assert.equal(lookup.status, 200, lookup.text);
  assert.equal(lookup.body.verdict, 'suspicious');
  assert.equal(lookup.body.score, 45);
  assert.ok(!lookup.text.includes('views') && !lookup.text.includes('tenant.sandbox'), lookup.text);
});
