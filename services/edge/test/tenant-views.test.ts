import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Check } from 'typebox/value';
import type { ReputationRecord, TenantView } from '@repute/core';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import type { EdgeConfig } from '../src/config.ts';
import { Answer, BatchAnswer } from '../src/routes/reputation/schemas.ts';
import { buildEdge, createKey, edgeConfig, record, sha, until, writer } from './helpers.ts';

// Tenant "acme" has views (its own evidence convicts, or clears, in its own view); tenant
// "beta" has none and must see the global records, and nothing in any answer may tell it that
// acme has a view.
let app: FastifyInstance;
let config: EdgeConfig;
let acme: { authorization: string };
let beta: { authorization: string };
let w: ReturnType<typeof writer>;
const viewedFile = sha('acme-sandbox-dropper');
const laterFile = sha('acme-later');

const CONVICTED: TenantView = { verdict: 'malicious', score: 91, confidence: 0.8, reasons: [{ rule: 'tenant.sandbox', weight: 70, evidence: 2, detail: 'dropper' }] };
const CLEARED: TenantView = { verdict: 'clean', score: 3, confidence: 0.6, reasons: [{ rule: 'tenant.allowed', weight: -50 }] };

function withViews(r: ReputationRecord, views: Record<string, TenantView>): ReputationRecord {
  return { ...r, views };
}

before(async () => {
  config = edgeConfig(await testRedisUrl());
  w = writer(config);
  const { store } = w;
  await store.write(withViews(record('file', viewedFile, 'suspicious'), { acme: CONVICTED, gamma: CLEARED }));
  await store.write(record('file', laterFile, 'suspicious'));
  // URL: acme's view convicts the expression; both tenants see the host's domain record.
  await store.write(withViews(record('url', 'viewed.example/dl/', 'suspicious'), { acme: CONVICTED }));
  await store.write(record('domain', 'viewed.example', 'suspicious'));
  // URL: acme's view clears a globally malicious expression, so for acme the host decides.
  await store.write(withViews(record('url', 'cleared.example/x/', 'malicious'), { acme: CLEARED }));
  await store.write(record('domain', 'cleared.example', 'suspicious'));
  // Domain parents: acme's view of the registrable domain convicts its subdomains for acme only.
  await store.write(withViews(record('domain', 'parent-viewed.example', 'suspicious'), { acme: CONVICTED }));
  app = await buildEdge(config);
  acme = { authorization: `Bearer ${(await createKey(config, 'acme')).key}` };
  beta = { authorization: `Bearer ${(await createKey(config, 'beta')).key}` };
});
after(async () => {
  await app?.close();
  await w?.redis.quit();
  await closeTestServices();
});

async function get(url: string, headers: { authorization: string }): Promise<{ body: any; text: string }> {
  const res = await app.inject({ url, headers });
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(Check(Answer, res.json()), res.body);
  return { body: res.json(), text: res.body };
}

/** No answer may carry views, nor the id of a tenant with a view. */
function assertNoViews(text: string): void {
  assert.ok(!text.includes('views'), text);
  assert.ok(!text.includes('acme') && !text.includes('gamma'), text);
}

test('single file lookup: the view\'s tenant sees its verdict, score, confidence and reasons; another tenant the global record', async () => {
  // Twice each, in both orders: the second answers come from the cache the first filled.
  for (let round = 0; round < 2; round++) {
    const mine = await get(`/v1/reputation/file/${viewedFile}`, acme);
    assert.equal(mine.body.verdict, 'malicious');
    assert.equal(mine.body.score, 91);
    assert.equal(mine.body.confidence, 0.8);
    // Two tenants saw it, fewer than k (5): no answer carries a count across tenants.
    assert.deepEqual(mine.body.reasons, CONVICTED.reasons.map(({ evidence: _, ...r }) => r));
    // Everything else comes from the global record.
    assert.deepEqual(mine.body.categories, ['test']);
    assert.deepEqual(mine.body.prevalence, { suppressed: true, fewer_than: 5 });
    assert.equal(mine.body.ttl, 600);
    assertNoViews(mine.text);

    const theirs = await get(`/v1/reputation/file/${viewedFile.toUpperCase()}`, beta);
    assert.equal(theirs.body.verdict, 'suspicious');
    assert.equal(theirs.body.score, 40);
    assert.equal(theirs.body.confidence, 0.9);
    assert.deepEqual(theirs.body.reasons, [{ rule: 'feed.listed', weight: 0.9 }]);
    assertNoViews(theirs.text);
  }
});

test('counts across tenants are shown only for what at least k tenants saw, in single and batch answers', async () => {
  const few = sha('seen-by-few');
  const many = sha('seen-by-many');
  await w.store.write({ ...record('file', few, 'malicious'), prevalence: { sensors: 5, tenants: 1 }, reasons: [{ rule: 'consensus.sensors', weight: 10, evidence: 5 }] });
  await w.store.write({ ...record('file', many, 'malicious'), prevalence: { sensors: 40, tenants: 7 }, reasons: [{ rule: 'consensus.tenants', weight: 16, evidence: 7 }] });
  await until('both records to be served', async () => (await get(`/v1/reputation/file/${many}`, beta)).body.verdict === 'malicious'
    && (await get(`/v1/reputation/file/${few}`, beta)).body.verdict === 'malicious');
  const withheld = await get(`/v1/reputation/file/${few}`, beta);
  assert.deepEqual(withheld.body.prevalence, { suppressed: true, fewer_than: 5 });
  assert.deepEqual(withheld.body.reasons, [{ rule: 'consensus.sensors', weight: 10 }]);
  const shown = await get(`/v1/reputation/file/${many}`, beta);
  assert.deepEqual(shown.body.prevalence, { sensors: 40, tenants: 7 });
  assert.deepEqual(shown.body.reasons, [{ rule: 'consensus.tenants', weight: 16, evidence: 7 }]);
  const res = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers: { ...beta, 'content-type': 'application/json' }, payload: { indicators: [{ kind: 'file', value: few }, { kind: 'file', value: many }] } });
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(Check(BatchAnswer, res.json()), res.body);
  const [a, b] = res.json().results;
  assert.deepEqual([a.prevalence, a.reasons[0].evidence], [{ suppressed: true, fewer_than: 5 }, undefined]);
  assert.deepEqual([b.prevalence, b.reasons[0].evidence], [{ sensors: 40, tenants: 7 }, 7]);
});

test('URL lookups combine each expression and the host as the asking tenant sees them', async () => {
  const url = (u: string) => `/v1/reputation/url?url=${encodeURIComponent(u)}`;
  const convicted = await get(url('http://www.viewed.example/dl/tool.exe'), acme);
  assert.equal(convicted.body.verdict, 'malicious');
  assert.deepEqual(convicted.body.matched, { kind: 'url', value: 'viewed.example/dl/', role: 'expression' });
  assertNoViews(convicted.text);
  const global = await get(url('http://www.viewed.example/dl/tool.exe'), beta);
  assert.equal(global.body.verdict, 'suspicious');
  assertNoViews(global.text);

  // acme's view clears the expression, so the host's domain record (suspicious) decides for acme.
  const cleared = await get(url('http://cleared.example/x/y'), acme);
  assert.equal(cleared.body.verdict, 'suspicious');
  assert.equal(cleared.body.matched.kind, 'domain');
  assertNoViews(cleared.text);
  const notCleared = await get(url('http://cleared.example/x/y'), beta);
  assert.equal(notCleared.body.verdict, 'malicious');
  assert.deepEqual(notCleared.body.matched, { kind: 'url', value: 'cleared.example/x/', role: 'expression' });

  const parent = await get('/v1/reputation/domain/a.b.parent-viewed.example', acme);
  assert.equal(parent.body.verdict, 'malicious');
  assert.equal(parent.body.matched.role, 'parent');
  assert.equal((await get('/v1/reputation/domain/a.b.parent-viewed.example', beta)).body.verdict, 'suspicious');
});

test('batch: each item as the asking tenant sees it, no views in any item', async () => {
  const indicators = [
    { kind: 'file', value: viewedFile },
    { kind: 'url', value: 'http://cleared.example/x/y' },
    { kind: 'domain', value: 'www.viewed.example' },
    { kind: 'file', value: sha('nothing-here') },
  ];
  const batch = async (headers: { authorization: string }) => {
    const res = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers, payload: { indicators } });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(Check(BatchAnswer, res.json()), res.body);
    assertNoViews(res.body);
    return res.json().results as { status: string; verdict?: string; score?: number; reasons?: unknown }[];
  };
  const mine = await batch(acme);
  assert.deepEqual(mine.map((r) => r.verdict ?? r.status), ['malicious', 'suspicious', 'suspicious', 'unknown']);
  assert.equal(mine[0]!.score, 91);
  assert.deepEqual(mine[0]!.reasons, CONVICTED.reasons.map(({ evidence: _, ...r }) => r));
  const theirs = await batch(beta);
  assert.deepEqual(theirs.map((r) => r.verdict ?? r.status), ['suspicious', 'malicious', 'suspicious', 'unknown']);
  assert.equal(theirs[0]!.score, 40);
});

test('hash-prefix search gives each tenant its own verdict', async () => {
  const prefix = async (headers: { authorization: string }) => {
    const res = await app.inject({ url: `/v1/reputation/prefix/file/${viewedFile.slice(0, 8)}`, headers });
    assert.equal(res.statusCode, 200, res.body);
    assertNoViews(res.body);
    return res.json().matches.find((m: { digest: string }) => m.digest === viewedFile)?.verdict;
  };
  assert.equal(await prefix(acme), 'malicious');
  assert.equal(await prefix(beta), 'suspicious');
});

test('a view added by a later write reaches the cache through the update stream', async () => {
  assert.equal((await get(`/v1/reputation/file/${laterFile}`, acme)).body.verdict, 'suspicious');
  await w.store.write(withViews(record('file', laterFile, 'suspicious', 2), { acme: CONVICTED }));
  await until('view served', async () => (await get(`/v1/reputation/file/${laterFile}`, acme)).body.verdict === 'malicious');
  assert.equal((await get(`/v1/reputation/file/${laterFile}`, beta)).body.verdict, 'suspicious');
});

test('the tenant overlay wins over the tenant view', async () => {
  await w.overlays.add('acme', { list: 'allow', kind: 'file', value: viewedFile, note: 'our build' });
  await until('overlay loaded', async () => (await get(`/v1/reputation/file/${viewedFile}`, acme)).body.verdict === 'clean');
  const mine = await get(`/v1/reputation/file/${viewedFile}`, acme);
  assert.equal(mine.body.overlay.list, 'allow');
  assertNoViews(mine.text);
  assert.equal((await get(`/v1/reputation/file/${viewedFile}`, beta)).body.verdict, 'suspicious');
});
