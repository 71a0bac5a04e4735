import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { chromium, type Page } from 'playwright-core';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { edgeApp, loadEdgeConfig } from '@repute/edge';
import { closeTestServices } from '@repute/infra/testkit';
import { generateScenario } from '@repute/simulator';
import { enc, harness, message, until } from './helpers.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ROOT = new URL('../../../', import.meta.url).pathname;
const SHOTS = join(ROOT, 'test-artifacts/console');
// Headless, and nothing that reaches beyond loopback (updates, sync, QUIC probes).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const UI_TIMEOUT_MS = 15_000;

/** Elements whose right edge lies past the window (the page scrolls sideways), named for the message. */
async function overflowing(page: Page): Promise<string[]> {
  // Evaluated in the page (a string: the test is compiled without the DOM's types).
  return page.evaluate(`[...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .slice(0, 10)
    .map((e) => e.tagName.toLowerCase() + (e.id === '' ? '' : '#' + e.id) + ' ' + Math.round(e.getBoundingClientRect().right) + ' px')`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

test('console: sign in, search, verdict card, sightings, relations graph, override, live feed — in a real Chromium', async (t) => {
  if (!existsSync(CHROMIUM)) {
    // CI installs Chromium (.ci/run); there a missing browser is a failure, not a skip.
    if (process.env['CI'] === 'true') assert.fail(`Chromium is not at ${CHROMIUM}: install Debian's chromium package (or set CHROMIUM_PATH)`);
    t.skip(`Chromium is not at ${CHROMIUM}: apt-get install chromium to run the console test`);
    return;
  }
  mkdirSync(SHOTS, { recursive: true });

  // The analyst API (with the console) and the edge on one Redis prefix and chDB database; the
  // real correlator turns a simulated fleet's telemetry into records, relations and aggregates.
  const h = await harness(t, { ANALYST_K_ANONYMITY: '3' });
  const scenario = generateScenario({ seed: 7, tenants: 6, sensors: 30, campaigns: 3, events: 1500, dataDir: null, durationMs: 6 * 3_600_000 });
  for (let i = 0; i < scenario.events.length; i += 250) {
    await h.correlator.handle(scenario.events.slice(i, i + 250).map((e) => message(e.event, e.tenant)));
  }
  // Propagation runs beside the correlator in a deployment: relations carry verdicts too.
  await h.propagate();
  const analystUrl = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const edge = Fastify({ logger: false });
  t.after(() => edge.close());
  await edge.register(edgeApp, { config: loadEdgeConfig({ env: { REDIS_URL: h.config.REDIS_URL, REDIS_KEY_PREFIX: h.prefix, LOG_LEVEL: 'silent', EDGE_FILTER_CAPACITY: '100000', EDGE_FILTER_REBUILD_INTERVAL_S: '0' } }) });
  await edge.listen({ host: '127.0.0.1', port: 0 });
  const edgeUrl = `http://127.0.0.1:${(edge.server.address() as AddressInfo).port}`;

  // The indicator to investigate: a campaign's first-stage file the correlator convicted.
  const tenant = scenario.tenants[0]!;
  const analystKey = await h.key(tenant, ['analyst']);
  const lookupKey = await h.key(tenant, ['lookup']);
  let target: { value: string; tenants: number } | undefined;
  for (const c of [...scenario.campaigns].sort((a, b) => b.tenants - a.tenants)) {
    if (c.primary.kind !== 'file') continue;
    const answer = await h.get(`/v1/indicators/file/${c.primary.value}`, analystKey);
    if (answer.body.verdict === 'malicious') { target = { value: c.primary.value, tenants: c.tenants }; break; }
  }
  assert.ok(target !== undefined, 'no campaign file was convicted');
  const file = target.value;
  const api = (await h.get(`/v1/indicators/file/${file}`, analystKey)).body;
  const relations = (await h.get(`/v1/indicators/file/${file}/relations?depth=2&limit=60`, analystKey)).body;
  // The neighbour to open: one accused through the file, so its reasons name indicators.
  const INDICATOR_DETAIL = /^(file|url|domain|ip|email) (\S+)$/;
  let neighbour: { kind: string; value: string; verdict: string } | undefined;
  let named: string[] = [];
  for (const n of relations.nodes as { depth: number; kind: string; value: string; verdict: string }[]) {
    if (n.depth !== 1) continue;
    const reasons = ((await h.get(`/v1/indicators/${n.kind}/${enc(n.value)}`, analystKey)).body.record?.reasons ?? []) as { detail?: string }[];
    named = reasons.flatMap((r) => {
      const m = INDICATOR_DETAIL.exec(r.detail ?? '');
      return m === null ? [] : [`#/indicator/${m[1]}/${enc(m[2]!)}`];
    });
    if (named.length > 0) { neighbour = n; break; }
  }
  assert.ok(neighbour !== undefined, `no neighbour accused through a relation: ${JSON.stringify(relations.nodes)}`);
  const edgeVerdict = async () => {
    const res = await fetch(`${edgeUrl}/v1/reputation/file/${file}`, { headers: { authorization: `Bearer ${lookupKey}` } });
    return ((await res.json()) as { verdict: string }).verdict;
  };
  await until('the edge to answer malicious', async () => (await edgeVerdict()) === 'malicious');

  const profile = mkdtempSync(join(tmpdir(), 'repute-console-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1360, height: 900 } });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text()); });
  // Failed requests are counted by URL: the refused key (401) and the short reason (400) are expected.
  const failed: string[] = [];
  page.on('response', (res) => { if (res.status() >= 400) failed.push(`${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`); });

  // Sign in: a bad key is refused inline, a good one opens the workspace and the live feed.
  await page.setViewportSize({ width: 420, height: 900 });
  await page.goto(`${analystUrl}/console/`);
  await page.locator('#api-key').waitFor();
  await shot(page, '00-sign-in-phone');
  assert.deepEqual(await overflowing(page), [], 'the sign-in page at 420 px');
  await page.setViewportSize({ width: 1360, height: 900 });
  await page.locator('#api-key').fill('rpk_0000000000000000_not-a-key');
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#login-status .problem[data-status="401"]').waitFor();
  await shot(page, '01-sign-in-refused');
  await page.locator('#api-key').fill(analystKey);
  await page.locator('#analyst-name').fill('Dana Whitfield');
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#feed-status[data-status="live"]').waitFor();
  // The feed opens with the newest changes the fleet's telemetry made, not empty.
  await page.locator('#feed-list li.recent').first().waitFor();
  // The start page leads with what is malicious or suspicious and spreading.
  await page.locator('#hunts-severe table.hunts').waitFor();
  const severeRows = await page.locator('#hunts-severe tr[data-verdict]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')));
  assert.ok(severeRows.length > 0 && severeRows.every((v) => v === 'malicious' || v === 'suspicious'), JSON.stringify(severeRows));
  await page.locator('#hunts table.hunts').waitFor();
  await shot(page, '01b-home');

  // Search by value alone: the console works out the kind.
  await page.locator('#search-value').fill(file);
  await page.locator('#search-form button[type=submit]').click();
  const card = page.locator('#verdict-card[data-verdict="malicious"]');
  await card.waitFor();
  assert.equal(await page.locator('#verdict .verdict').textContent(), 'malicious');
  const rules = await page.locator('#verdict-card tr[data-rule]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule')));
  assert.deepEqual(rules, api.record.reasons.map((r: { rule: string }) => r.rule), 'every reason of the record is listed');
  assert.ok((await page.locator('#verdict-card table.reasons td.num').first().textContent()) !== '');
  // The file as the tenant's sensors reported it: names, signer, size.
  assert.ok(api.file.names.length > 0, JSON.stringify(api.file));
  assert.equal(await page.locator('#file-names').textContent(), api.file.names.join(' · '));
  if (api.file.size !== null) assert.equal(Number(await page.locator('#file-size').getAttribute('data-bytes')), api.file.size);
  // k-anonymity: the card shows what the API allowed, never more.
  const crossTenant = (await page.locator('#cross-tenant').textContent()) ?? '';
  if (api.stats.cross_tenant.suppressed) assert.equal(crossTenant, `withheld: fewer than ${api.stats.cross_tenant.fewer_than} tenants`);
  else assert.match(crossTenant, new RegExp(`^${api.stats.cross_tenant.tenants} tenants`));

  // Sightings: bars for this tenant's events, as many as the API counted.
  const chart = page.locator('#sightings-chart');
  await chart.waitFor();
  assert.ok(Number(await chart.getAttribute('data-own-events')) === api.stats.own.events, `chart ${await chart.getAttribute('data-own-events')} vs ${api.stats.own.events}`);
  assert.ok((await page.locator('#sightings-chart rect.bar-own').count()) > 0);
  // Relations: every node drawn, coloured by its verdict.
  const graph = page.locator('#relations-graph');
  await graph.waitFor();
  await page.locator('#content[data-loaded]').waitFor();
  assert.equal(Number(await graph.getAttribute('data-nodes')), relations.nodes.length);
  // A hub's quiet leaves (a parent process's many clean children) are one counted node: every
  // indicator is drawn or counted once, and nothing malicious or suspicious is hidden.
  const drawnValues = await page.locator('#relations-graph g.node:not(.node-group)').evaluateAll((els) => els.map((e) => e.getAttribute('data-value')));
  const grouped = (await page.locator('#relations-graph g.node-group').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))))).reduce((a, b) => a + b, 0);
  assert.equal(drawnValues.length + grouped, relations.nodes.length);
  for (const n of relations.nodes as { value: string; verdict: string }[]) {
    if (n.verdict === 'malicious' || n.verdict === 'suspicious') assert.ok(drawnValues.includes(n.value), `${n.value} (${n.verdict}) is drawn`);
  }
  // The fleet's campaign file was started by a program that starts dozens of others.
  assert.ok(grouped > 8, 'the hub with dozens of quiet children is drawn as a counted node');
  assert.equal(Number(await graph.getAttribute('data-drawn-nodes')), drawnValues.length + (await page.locator('#relations-graph g.node-group').count()));
  assert.equal(await page.locator(`#relations-graph g.node-centre.verdict-malicious`).count(), 1);
  // The neighbourhood drawn, exported: CSV for a spreadsheet, a STIX 2.1 bundle for a TIP.
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()]);
  assert.match(csvDownload.suggestedFilename(), /^file-[0-9a-f]{16}-neighbourhood\.csv$/);
  const csvLines = readFileSync((await csvDownload.path())!, 'utf8').trimEnd().split('\r\n');
  assert.equal(csvLines[0], 'kind,value,digest,hops,verdict,score,relation');
  assert.equal(csvLines.length - 1, relations.nodes.length, 'one row per indicator of the neighbourhood drawn');
  const [stixDownload] = await Promise.all([page.waitForEvent('download'), page.locator('#export-stix').click()]);
  const exported = JSON.parse(readFileSync((await stixDownload.path())!, 'utf8')) as { type: string; objects: { type: string }[] };
  assert.equal(exported.type, 'bundle');
  assert.equal(exported.objects.filter((o) => o.type === 'indicator').length, relations.nodes.length);
  await shot(page, '02-verdict-card-sightings-relations');
  await page.locator('#relations').screenshot({ path: join(SHOTS, '03-relations-graph.png') });
  await page.locator('#sightings').screenshot({ path: join(SHOTS, '04-sightings-chart.png') });

  // Clicking a neighbour in the graph opens its page; its graph leads back to the file.
  await page.locator(`#relations-graph g.node[data-value="${neighbour.value.replaceAll('"', '\\"')}"]`).click();
  await page.locator(`#verdict-card[data-verdict="${neighbour.verdict}"] .indicator-value`).filter({ hasText: neighbour.value }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/indicator/${neighbour.kind}/${enc(neighbour.value)}`);
  await page.locator('#relations-graph').waitFor();
  // Reasons that came through a related indicator link to it.
  assert.deepEqual(await page.locator('#verdict-card a.reason-indicator').evaluateAll((els) => els.map((e) => e.getAttribute('href'))), named);
  await shot(page, '05-neighbour');
  await page.locator(`#relations-graph g.node[data-value="${file}"]`).click();
  await page.locator('#verdict-card[data-verdict="malicious"]').waitFor();

  // Override: the API's problem+json shows inline under the form...
  await page.locator('#override-form select[name=verdict]').selectOption('clean');
  await page.locator('#override-form textarea[name=reason]').fill('x');
  await page.locator('#override-form button[type=submit]').click();
  const problem = page.locator('#override-form .problem[data-status="400"]');
  await problem.waitFor();
  assert.match((await problem.textContent()) ?? '', /body\.reason/);
  await page.locator('#override-form').screenshot({ path: join(SHOTS, '06-override-problem.png') });
  // ...and a valid one changes the verdict on screen, in the history, on the live feed and at the edge.
  await page.locator('#override-form textarea[name=reason]').fill('signed installer of an internal tool');
  await page.locator('#override-form button[type=submit]').click();
  await page.locator('#verdict-card[data-verdict="clean"]').waitFor();
  await page.locator('#override-note').filter({ hasText: 'signed installer of an internal tool' }).waitFor();
  // Attributed to the person who gave their name at sign-in, on the card and in the audit log.
  assert.match((await page.locator('#override-note').textContent()) ?? '', / by Dana Whitfield \(/);
  const audit = (await h.get(`/v1/overrides/audit?kind=file&value=${file}&limit=5`, analystKey)).body;
  assert.equal(audit.items[0]?.actor, 'Dana Whitfield', JSON.stringify(audit.items[0]));
  // The tenant's own override: its feed and its lookups say clean; the global history does not.
  await page.locator(`#feed-list li.fresh[data-value="${file}"][data-verdict="clean"]`).first().waitFor();
  await until('the edge to answer clean', async () => (await edgeVerdict()) === 'clean');
  assert.match((await page.locator('#override-form .form-status .ok').textContent()) ?? '', /the verdict is now clean/);
  await shot(page, '07-after-override');
  // Lifting it gives the rules back their say.
  await page.locator('#lift-override').click();
  await page.locator('#verdict-card[data-verdict="malicious"]').waitFor();
  await page.locator(`#feed-list li.fresh[data-value="${file}"][data-verdict="malicious"]`).first().waitFor();
  await until('the edge to answer malicious again', async () => (await edgeVerdict()) === 'malicious');

  // A dispute filed from the console appears in the open list, and rejecting it closes it.
  await page.locator('#dispute-form select[name=requested_verdict]').selectOption('malicious');
  await page.locator('#dispute-form textarea[name=reason]').fill('the campaign evidence stands');
  await page.locator('#dispute-form button[type=submit]').click();
  const dispute = page.locator('#disputes form.dispute').first();
  await dispute.waitFor();
  await dispute.locator('input[name=note]').fill('override confirmed with the vendor');
  // A tenant's analyst cannot decide a dispute (it would change every tenant's verdict): the
  // refusal shows under the form, and a curator decides it.
  await dispute.locator('button[value=reject]').click();
  await dispute.locator('.problem[data-status="403"]').waitFor();
  await shot(page, '08-dispute-needs-curator');
  // The page is never wider than the window, at a desktop's width and a phone's, with long
  // hashes in the card, the live feed and the open disputes.
  for (const [width, name] of [[1440, '09-desktop-1440'], [420, '10-phone-420']] as const) {
    await page.setViewportSize({ width, height: 900 });
    await shot(page, name);
    assert.deepEqual(await overflowing(page), [], `${width} px: elements reach past the window`);
  }
  await page.setViewportSize({ width: 1360, height: 900 });
  const id = await dispute.getAttribute('data-id');
  const curator = await h.key('operator', ['curator']);
  assert.equal((await h.send('POST', `/v1/disputes/${id}/resolve`, curator, { outcome: 'reject', note: 'evidence stands' })).status, 200);
  assert.equal((await h.get('/v1/disputes?status=rejected', analystKey)).body.items.length, 1);

  assert.deepEqual(pageErrors, [], 'the page logged errors');
  assert.deepEqual(failed, ['401 GET /v1/overrides/audit', `400 PUT /v1/overrides/file/${file}`, `403 POST /v1/disputes/${id}/resolve`]);
});
