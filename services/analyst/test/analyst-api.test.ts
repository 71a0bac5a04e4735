import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { removeTestClickHouseData, testClickHouse } from '@repute/analytics/testkit';
import { createAnalyticsReader } from '../src/queries/analytics-reader.ts';
import { closeTestServices } from '@repute/infra/testkit';
import { INDICATOR_SYNTAX, PATH_SYNTAX, recordKey } from '@repute/core';
import { enc, harness, message, stixPython } from './helpers.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const WIDE = 'ab'.repeat(32); // seen by six tenants
const NARROW = 'cd'.repeat(32); // seen by two tenants
const URL_ = 'http://evil-downloads.example/payload.exe';

/** Telemetry for both files, processed by the real correlator. */
async function seed(h: Awaited<ReturnType<typeof harness>>) {
  const batch = [];
  for (let i = 1; i <= 6; i++) {
    batch.push(message({ sensor: `s${i}`, host: `host-${i}`, type: 'detection', file: { sha256: WIDE }, relations: { downloadedFrom: URL_ }, verdict: { engine: `av${i}`, category: 'malicious' } }, `t${i}`));
  }
  batch.push(message({ sensor: 'a-sensor', host: 'a-host', type: 'file_seen', file: { sha256: NARROW } }, 'tA'));
  batch.push(message({ sensor: 'b-sensor', host: 'b-host', type: 'detection', file: { sha256: NARROW }, verdict: { engine: 'avb', category: 'malicious' } }, 'tB'));
  await h.correlator.handle(batch);
}

test('indicator record, stats, sightings, sensors, relations and history through the API', async (t) => {
  const h = await harness(t);
  await seed(h);
  const analyst = await h.key('t1', ['analyst']);
  const one = await h.get(`/v1/indicators/file/${WIDE}`, analyst);
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body.verdict, 'malicious');
  assert.equal(one.body.record.verdict, 'malicious');
  assert.ok(one.body.record.reasons.length > 0);
  assert.deepEqual(one.body.stats.cross_tenant.suppressed, false);
  assert.equal(one.body.stats.cross_tenant.tenants, 6);
  assert.equal(one.body.stats.cross_tenant.sensors, 6);
  assert.equal(one.body.stats.own.events, 1);
  assert.equal(one.body.stats.cross_tenant.detections.av1, 1);

  const sightings = await h.get(`/v1/indicators/file/${WIDE}/sightings?bucket=hour`, analyst);
  assert.equal(sightings.status, 200, sightings.text);
  assert.equal(sightings.body.own.length, 1);
  assert.equal(sightings.body.own[0].events, 1);
  assert.equal(sightings.body.cross_tenant[0].tenants, 6);

  const sensors = await h.get(`/v1/indicators/file/${WIDE}/sensors?limit=10`, analyst);
  assert.equal(sensors.status, 200, sensors.text);
  assert.deepEqual(sensors.body.items.map((i: { sensor: string; tenant: string }) => [i.tenant, i.sensor]), [['t1', 's1']]);
  assert.equal(sensors.body.total, 1);

  const rel = await h.get(`/v1/indicators/file/${WIDE}/relations?depth=2`, analyst);
  assert.equal(rel.status, 200, rel.text);
  const values = rel.body.nodes.map((n: { value: string }) => n.value);
  assert.ok(values.includes(URL_), JSON.stringify(values));
  assert.ok(values.includes('evil-downloads.example'), 'the URL’s host is two hops away');
  assert.ok(rel.body.edges.some((e: { rel: string; counts: { sensors?: number } }) => e.rel === 'downloaded_from' && e.counts.sensors === 6));

  const history = await h.get(`/v1/indicators/file/${WIDE}/history`, analyst);
  assert.equal(history.status, 200, history.text);
  assert.deepEqual(history.body.items.map((i: { verdict: string; source: string }) => [i.verdict, i.source]), [['malicious', 'stream']]);
  const before = await h.get(`/v1/indicators/file/${WIDE}?at=${Date.now() - 3_600_000}`, analyst);
  assert.equal(before.body.as_of.verdict, 'unknown', 'an hour ago nothing was known');
  const now = await h.get(`/v1/indicators/file/${WIDE}/history?at=${enc(new Date(Date.now() + 1000).toISOString())}`, analyst);
  assert.equal(now.body.as_of.verdict, 'malicious');

  const hunts = await h.get('/v1/hunts/new-and-spreading?window=24h', analyst);
  assert.equal(hunts.status, 200, hunts.text);
  assert.ok(hunts.body.items.some((i: { value: string }) => i.value === WIDE));
  const top = await h.get('/v1/hunts/top-detections?window=7d&kind=file', analyst);
  assert.equal(top.body.items[0].value, WIDE);
  const today = await h.get('/v1/hunts/first-seen-today', analyst);
  assert.equal(today.status, 200, today.text);
  // What needs a look: only indicators whose verdict is malicious or suspicious, in ranking order.
  const everything = hunts.body.items as { value: string; verdict: string }[];
  assert.ok(everything.some((i) => i.verdict !== 'malicious' && i.verdict !== 'suspicious'), JSON.stringify(everything));
  const severe = await h.get('/v1/hunts/new-and-spreading?window=24h&verdict=malicious,suspicious', analyst);
  assert.equal(severe.status, 200, severe.text);
  assert.deepEqual(severe.body.items.map((i: { value: string }) => i.value), everything.filter((i) => i.verdict === 'malicious' || i.verdict === 'suspicious').map((i) => i.value));
  assert.deepEqual((await h.get('/v1/hunts/new-and-spreading?window=24h&verdict=malicious&limit=1&offset=1', analyst)).body.items, []);
});

test('a file card carries the names, signer and size the tenant’s own sensors reported; another tenant’s names never show', async (t) => {
  const h = await harness(t);
  const tool = 'c4'.repeat(32);
  await h.correlator.handle([
    message({ sensor: 'a1', host: 'a-host', type: 'file_seen', file: { sha256: tool, name: 'setup_acme.exe', size: 1_234_567, signer: 'Acme Software Ltd' } }, 'tA'),
    message({ sensor: 'a2', host: 'a-host-2', type: 'file_seen', file: { sha256: tool, name: 'setup_acme.exe', size: 1_234_567, signer: 'Acme Software Ltd' } }, 'tA'),
    message({ sensor: 'a3', host: 'a-host-3', type: 'process_start', file: { sha256: tool, name: 'acme-installer.exe' } }, 'tA'),
    message({ sensor: 'b1', host: 'b-host', type: 'file_seen', file: { sha256: tool, name: 'C:\\Users\\bob.secret\\Downloads\\payroll_tool.exe', size: 1_234_567 } }, 'tB'),
  ]);
  const a = await h.key('tA', ['analyst']);
  const b = await h.key('tB', ['analyst']);
  const forA = (await h.get(`/v1/indicators/file/${tool}`, a)).body;
  assert.deepEqual(forA.file, { names: ['setup_acme.exe', 'acme-installer.exe'], signers: ['Acme Software Ltd'], size: 1_234_567 });
  const forB = (await h.get(`/v1/indicators/file/${tool}`, b)).body;
  assert.deepEqual(forB.file, { names: ['C:\\Users\\bob.secret\\Downloads\\payroll_tool.exe'], signers: [], size: 1_234_567 });
  assert.ok(!JSON.stringify(forA).includes('bob.secret'), 'B’s file names are B’s');
  // Only files have a file section.
  assert.equal((await h.get('/v1/indicators/domain/acme.example', a)).body.file, undefined);
});

test('export: an indicator and its neighbourhood as a STIX 2.1 bundle the stock stix2 library reads, and as CSV', async (t) => {
  const h = await harness(t);
  await seed(h);
  const analyst = await h.key('t1', ['analyst']);
  const stix = await h.app.inject({ url: `/v1/indicators/file/${WIDE}/export?format=stix&depth=2`, headers: { authorization: `Bearer ${analyst}` } });
  assert.equal(stix.statusCode, 200, stix.body);
  assert.match(String(stix.headers['content-type']), /^application\/stix\+json;version=2\.1/);
  assert.match(String(stix.headers['content-disposition']), /^attachment; filename="file-abababababababab-neighbourhood\.json"$/);
  const bundle = stix.json() as { objects: { type: string; id: string; pattern?: string; indicator_types?: string[]; source_ref?: string; target_ref?: string; relationship_type?: string }[] };
  const fileSdo = bundle.objects.find((o) => o.pattern === `[file:hashes.'SHA-256' = '${WIDE}']`);
  const urlSdo = bundle.objects.find((o) => o.pattern === `[url:value = '${URL_}']`);
  assert.deepEqual(fileSdo?.indicator_types, ['malicious-activity']);
  assert.ok(urlSdo !== undefined, JSON.stringify(bundle.objects));
  assert.ok(bundle.objects.some((o) => o.type === 'relationship' && o.source_ref === fileSdo!.id && o.target_ref === urlSdo.id && o.relationship_type === 'downloaded-from'));
  // Re-exported, the same indicators and relations keep their ids.
  const again = (await h.app.inject({ url: `/v1/indicators/file/${WIDE}/export?format=stix&depth=2`, headers: { authorization: `Bearer ${analyst}` } })).json() as typeof bundle;
  assert.deepEqual(again.objects.map((o) => o.id).sort(), bundle.objects.map((o) => o.id).sort());
  const python = await stixPython(t);
  if (python !== null) {
    const parsed = JSON.parse(await new Promise<string>((resolve, reject) => {
      const child = execFile(python, [join(import.meta.dirname, 'stix-parse.py')], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
      child.stdin!.end(stix.body);
    })) as { indicators: { pattern: string }[]; relationships: string[][] };
    assert.equal(parsed.indicators.length + parsed.relationships.length, bundle.objects.length);
  }

  const csv = await h.app.inject({ url: `/v1/indicators/file/${WIDE}/export?format=csv&depth=1`, headers: { authorization: `Bearer ${analyst}` } });
  assert.equal(csv.statusCode, 200, csv.body);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const lines = csv.body.trimEnd().split('\r\n');
  assert.equal(lines[0], 'kind,value,digest,hops,verdict,score,relation');
  assert.match(lines[1]!, new RegExp(`^file,${WIDE},${WIDE},0,malicious,\\d+,$`));
  assert.ok(lines.some((l) => l.startsWith(`url,${URL_},`) && l.endsWith(`,downloaded_from file ${WIDE}`)), lines.join('\n'));
  const bad = await h.app.inject({ url: `/v1/indicators/file/${WIDE}/export?format=pdf`, headers: { authorization: `Bearer ${analyst}` } });
  assert.equal(bad.statusCode, 400);
});

test('k-anonymity: cross-tenant counts below k tenants say only "fewer than k"', async (t) => {
  const h = await harness(t);
  await seed(h);
  const a = await h.key('tA', ['analyst']);
  const narrow = await h.get(`/v1/indicators/file/${NARROW}`, a);
  assert.equal(narrow.status, 200, narrow.text);
  assert.deepEqual(narrow.body.stats.cross_tenant, { suppressed: true, fewer_than: 5 });
  assert.equal(narrow.body.stats.own.events, 1, 'its own sightings are always shown');
  assert.deepEqual(narrow.body.record.prevalence, { suppressed: true, fewer_than: 5 });
  const series = await h.get(`/v1/indicators/file/${NARROW}/sightings`, a);
  assert.ok(series.body.cross_tenant.every((b: { suppressed: boolean; tenants?: number }) => b.suppressed && b.tenants === undefined));
  // Nor do the reasons, now or in the history, carry counts.
  assert.ok(narrow.body.record.reasons.every((r: { evidence?: number }) => r.evidence === undefined), JSON.stringify(narrow.body.record.reasons));
  const history = await h.get(`/v1/indicators/file/${NARROW}/history`, a);
  assert.ok(history.body.items.length > 0);
  assert.ok(history.body.items.every((i: { reasons: { evidence?: number }[] }) => i.reasons.every((r) => r.evidence === undefined)), history.text);
  const wideHistory = await h.get(`/v1/indicators/file/${WIDE}/history`, a);
  assert.ok(wideHistory.body.items.some((i: { reasons: { evidence?: number }[] }) => i.reasons.some((r) => r.evidence !== undefined)), 'seen by k tenants, the counts are shown');
  // Whether tB saw it or not, tA's view of the counts is the same: none is given.
  assert.equal(JSON.stringify(narrow.body.stats.cross_tenant).includes('"tenants"'), false);
  // A tenant that never saw an indicator seen by fewer than k others is not told it exists in hunts.
  const c = await h.key('tC', ['analyst']);
  const hunts = await h.get('/v1/hunts/new-and-spreading?window=24h', c);
  assert.equal(hunts.body.items.some((i: { value: string }) => i.value === NARROW), false);
  assert.equal(hunts.body.items.some((i: { value: string }) => i.value === WIDE), true);
  const admin = await h.key('ops', ['admin']);
  const full = await h.get(`/v1/indicators/file/${NARROW}`, admin);
  assert.equal(full.body.stats.cross_tenant.tenants, 2);
  // A lower threshold shows it.
  const h2 = await harness(t, { ANALYST_K_ANONYMITY: '2' });
  await seed(h2);
  const a2 = await h2.key('tA', ['analyst']);
  assert.equal((await h2.get(`/v1/indicators/file/${NARROW}`, a2)).body.stats.cross_tenant.tenants, 2);
});

test('tenant isolation: sensors, hosts, overrides, disputes and watchlists of B never reach A', async (t) => {
  const h = await harness(t);
  await seed(h);
  const a = await h.key('tA', ['analyst']);
  const b = await h.key('tB', ['analyst']);
  const sensorsA = await h.get(`/v1/indicators/file/${NARROW}/sensors`, a);
  assert.deepEqual(sensorsA.body.items.map((i: { host: string }) => i.host), ['a-host']);
  const sightA = await h.get(`/v1/indicators/file/${NARROW}/sightings`, a);
  assert.equal(sightA.body.own[0].events, 1);
  assert.equal(JSON.stringify(sightA.body).includes('b-host') || JSON.stringify(sensorsA.body).includes('b-sensor'), false);

  const before = (await h.get(`/v1/indicators/file/${NARROW}`, a)).body.verdict;
  const put = await h.send('PUT', `/v1/overrides/file/${NARROW}`, b, { verdict: 'clean', reason: 'tB says vendor tool', actor: 'Bea from tB' });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.scope, 'tenant', 'a tenant analyst overrides for its own tenant');
  assert.equal(put.body.verdict, 'clean');
  assert.equal((await h.get(`/v1/indicators/file/${NARROW}`, b)).body.verdict, 'clean');
  const viewA = await h.get(`/v1/indicators/file/${NARROW}`, a);
  assert.equal(viewA.body.verdict, before, 'B’s override decides B’s answers only');
  assert.notEqual(before, 'clean');
  assert.equal(viewA.body.override, null);
  assert.ok(!JSON.stringify(viewA.body).includes('vendor tool'), 'B’s reason is not shown to A');
  const stored = await h.store.get(recordKey('file', viewA.body.digest));
  assert.deepEqual(Object.keys(stored?.views ?? {}), ['tB'], 'the record carries B’s view and no other');
  assert.equal(stored?.verdict, before, 'the global verdict is untouched');
  assert.deepEqual((await h.get('/v1/overrides/audit', a)).body.items, []);
  assert.equal((await h.send('DELETE', `/v1/overrides/file/${NARROW}`, a)).status, 404);
  // Deciding for everyone is the operator's curators' job, not a tenant's.
  const global = await h.send('PUT', `/v1/overrides/file/${NARROW}`, b, { verdict: 'clean', reason: 'for everyone', scope: 'global' });
  assert.equal(global.status, 403, global.text);
  assert.equal((await h.send('DELETE', `/v1/overrides/file/${NARROW}?scope=global`, b)).status, 403);
  const auditB = await h.get('/v1/overrides/audit', b);
  assert.deepEqual(auditB.body.items.map((i: { reason: string; scope: string; actor: string }) => [i.reason, i.scope, i.actor]), [['tB says vendor tool', 'tenant', 'Bea from tB']]);

  const dispute = await h.send('POST', '/v1/disputes', b, { kind: 'file', value: WIDE, requested_verdict: 'clean', reason: 'our build tool' });
  assert.equal(dispute.status, 201, dispute.text);
  assert.equal((await h.get(`/v1/disputes/${dispute.body.id}`, a)).status, 404);
  assert.deepEqual((await h.get('/v1/disputes', a)).body.items, []);
  assert.equal((await h.send('POST', `/v1/disputes/${dispute.body.id}/resolve`, a, { outcome: 'accept', note: 'not yours' })).status, 403);
  // Nor can the filing tenant accept its own dispute and so change everyone's verdict.
  assert.equal((await h.send('POST', `/v1/disputes/${dispute.body.id}/resolve`, b, { outcome: 'accept', note: 'mine, so yes' })).status, 403);
  assert.equal((await h.get(`/v1/indicators/file/${WIDE}`, a)).body.verdict, 'malicious');

  const wl = await h.send('PUT', '/v1/watchlists/mine', b, { indicators: [{ kind: 'file', value: NARROW }] });
  assert.equal(wl.status, 200, wl.text);
  assert.equal((await h.get('/v1/watchlists/mine', a)).status, 404);
  assert.deepEqual((await h.get('/v1/watchlists', a)).body.items, []);
});

test('global overrides are a curator’s, apply at once and are audited; disputes are decided by a curator, never their filer', async (t) => {
  const h = await harness(t);
  await seed(h);
  const analyst = await h.key('t1', ['analyst']);
  const other = await h.key('t2', ['analyst']);
  const partner = await h.key('t1', ['partner']);
  const curator = await h.key('operator', ['curator']);
  assert.equal((await h.send('PUT', `/v1/overrides/file/${WIDE}`, analyst, { verdict: 'clean', reason: 'signed vendor installer', scope: 'global' })).status, 403);
  const put = await h.send('PUT', `/v1/overrides/file/${WIDE}`, curator, { verdict: 'clean', reason: 'signed vendor installer', scope: 'global', actor: 'Cora (curation desk)' });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.verdict, 'clean');
  assert.equal(put.body.changed, true);
  // It decides every tenant's answers, and every tenant may read who set it and why.
  for (const key of [analyst, other]) {
    const record = await h.get(`/v1/indicators/file/${WIDE}`, key);
    assert.equal(record.body.verdict, 'clean');
    assert.equal(record.body.override.scope, 'global');
    assert.equal(record.body.override.comment, 'signed vendor installer');
    assert.equal(record.body.override.actor, 'Cora (curation desk)');
  }
  const history = await h.get(`/v1/indicators/file/${WIDE}/history`, analyst);
  assert.deepEqual(history.body.items.map((i: { source: string }) => i.source), ['stream', 'override']);
  const seen = await h.get('/v1/overrides/audit', other);
  assert.deepEqual(seen.body.items.map((i: { scope: string; actor: string }) => [i.scope, i.actor]), [['global', 'Cora (curation desk)']]);
  assert.equal((await h.send('DELETE', `/v1/overrides/file/${WIDE}?scope=global`, analyst)).status, 403);
  const lift = await h.send('DELETE', `/v1/overrides/file/${WIDE}?scope=global&reason=${encodeURIComponent('vendor revoked the cert')}`, curator);
  assert.equal(lift.status, 200, lift.text);
  assert.equal(lift.body.verdict, 'malicious');
  const audit = await h.get(`/v1/overrides/audit?kind=file&value=${WIDE}`, analyst);
  assert.deepEqual(audit.body.items.map((i: { action: string }) => i.action), ['lift', 'set']);
  assert.equal(audit.body.items[0].reason, 'vendor revoked the cert', 'a lift is audited with its reason');
  assert.notEqual(audit.body.items[0].analyst, '', 'a lift is audited with who lifted it');

  const filed = await h.send('POST', '/v1/disputes', partner, { kind: 'file', value: WIDE, requested_verdict: 'clean', reason: 'our own signed tool' });
  assert.equal(filed.status, 201, filed.text);
  assert.equal(filed.body.status, 'open');
  assert.equal(filed.body.verdict_at_filing, 'malicious');
  assert.equal((await h.send('POST', `/v1/disputes/${filed.body.id}/resolve`, partner, { outcome: 'accept', note: 'x' })).status, 403);
  assert.equal((await h.send('POST', `/v1/disputes/${filed.body.id}/resolve`, analyst, { outcome: 'accept', note: 'our own tenant says so' })).status, 403);
  assert.equal((await h.get('/v1/disputes?status=open', curator)).body.items.length, 1, 'a curator sees every tenant’s open disputes');
  const resolved = await h.send('POST', `/v1/disputes/${filed.body.id}/resolve`, curator, { outcome: 'accept', note: 'confirmed with vendor' });
  assert.equal(resolved.status, 200, resolved.text);
  assert.equal(resolved.body.status, 'accepted');
  assert.equal(resolved.body.override.verdict, 'clean');
  assert.equal(resolved.body.override.scope, 'global');
  assert.equal((await h.get(`/v1/disputes/${filed.body.id}`, partner)).body.status, 'accepted');
  assert.equal((await h.get(`/v1/indicators/file/${WIDE}`, other)).body.verdict, 'clean');
  assert.equal((await h.send('POST', `/v1/disputes/${filed.body.id}/resolve`, curator, { outcome: 'reject', note: 'again' })).status, 409);
  const rejected = await h.send('POST', '/v1/disputes', partner, { kind: 'file', value: NARROW, requested_verdict: 'clean', reason: 'please' });
  const r = await h.send('POST', `/v1/disputes/${rejected.body.id}/resolve`, curator, { outcome: 'reject', note: 'evidence stands' });
  assert.equal(r.body.status, 'rejected');
  assert.equal(r.body.note, 'evidence stands');
  assert.deepEqual((await h.get('/v1/disputes?status=open', partner)).body.items, []);
  // A curator's own dispute goes to another curator.
  const own = await h.send('POST', '/v1/disputes', curator, { kind: 'file', value: NARROW, requested_verdict: 'malicious', reason: 'from the desk' });
  assert.equal((await h.send('POST', `/v1/disputes/${own.body.id}/resolve`, curator, { outcome: 'accept', note: 'self' })).status, 403);
});

test('bad input gets problem+json naming the field; scopes are enforced; the read client cannot write', async (t) => {
  const h = await harness(t);
  const analyst = await h.key('t1', ['analyst']);
  const lookup = await h.key('t1', ['lookup']);
  const cases: [string, string][] = [
    ['/v1/indicators/file/nothex', 'params.value'],
    ['/v1/indicators/bogus/x', 'params.kind'],
    [`/v1/indicators/file/${WIDE}/sightings?bucket=week`, 'querystring.bucket'],
    [`/v1/indicators/file/${WIDE}/sightings?from=yesterday`, 'querystring.from'],
    [`/v1/indicators/file/${WIDE}/relations?depth=4`, 'querystring.depth'],
    [`/v1/indicators/file/${WIDE}/sensors?limit=100000`, 'querystring.limit'],
    [`/v1/indicators/file/${WIDE}/history?at=soon`, 'querystring.at'],
    // The API takes URLs as RFC 3986 text (the document's pattern): Unicode is percent-encoded.
    [`/v1/indicators/url/${encodeURIComponent('http://x.example/ü')}`, 'params.value'],
    ['/v1/hunts/new-and-spreading?window=99y', 'querystring.window'],
    ['/v1/hunts/new-and-spreading?window=900d', 'querystring.window'],
    ['/v1/hunts/new-and-spreading?verdict=evil', 'querystring.verdict'],
  ];
  for (const [url, field] of cases) {
    const res = await h.app.inject({ url, headers: { authorization: `Bearer ${analyst}` } });
    assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    assert.ok(res.json().errors.some((e: { field: string }) => e.field === field), `${url}: ${res.body}`);
  }
  // Real phishing URLs are long: every path route takes a URL up to the contract's 4096 characters.
  const longUrl = `https://login.example-phish.test/${'p/'.repeat(900)}${'%C3%BC'.repeat(100)}?session=${'x'.repeat(1500)}`;
  assert.ok(longUrl.length > 3000 && longUrl.length <= 4096);
  const longRecord = await h.get(`/v1/indicators/url/${enc(longUrl)}`, analyst);
  assert.equal(longRecord.status, 200, longRecord.text.slice(0, 300));
  const longOverride = await h.send('PUT', `/v1/overrides/url/${enc(longUrl)}`, analyst, { verdict: 'malicious', reason: 'kit seen in IR' });
  assert.equal(longOverride.status, 200, longOverride.text.slice(0, 300));
  // A body field the document does not allow is refused by name, not dropped: a misspelt
  // `verdict` must not become an override read without it.
  const misspelt = await h.send('PUT', `/v1/overrides/file/${WIDE}`, analyst, { verdict: 'clean', reason: 'vendor FP', verdcit: 'malicious' });
  assert.equal(misspelt.status, 400, misspelt.text);
  assert.deepEqual(misspelt.body.errors, [{ field: 'body.verdcit', reason: 'is not allowed here' }]);
  // Nor is a value of another type coerced: `false` is no person's name.
  const typed = await h.send('PUT', `/v1/overrides/file/${WIDE}`, analyst, { verdict: 'clean', reason: 'vendor FP', actor: false });
  assert.equal(typed.status, 400, typed.text);
  assert.equal(typed.body.errors[0].field, 'body.actor');
  // Query strings still ignore an unknown parameter (a cache-buster).
  assert.equal((await h.get(`/v1/indicators/file/${WIDE}?cb=123`, analyst)).status, 200);
  const partnerKey = await h.key('t1', ['partner']);
  assert.equal((await h.get(`/v1/partner/reputation/url/${enc(longUrl)}`, partnerKey)).status, 200);
  const noReason = await h.send('PUT', `/v1/overrides/file/${WIDE}`, analyst, { verdict: 'clean' });
  assert.equal(noReason.status, 400);
  assert.equal(noReason.body.errors[0].field, 'body.reason');
  const badVerdict = await h.send('POST', '/v1/disputes', analyst, { kind: 'file', value: WIDE, requested_verdict: 'evil', reason: 'why not' });
  assert.ok(badVerdict.body.errors.some((e: { field: string }) => e.field === 'body.requested_verdict'), badVerdict.text);
  assert.equal((await h.get(`/v1/indicators/file/${WIDE}`, lookup)).status, 403);
  assert.equal((await h.app.inject({ url: `/v1/indicators/file/${WIDE}` })).statusCode, 401);
  const client = testClickHouse();
  t.after(() => client.close());
  const reader = createAnalyticsReader(client, h.database, { timeoutS: 5, maxRows: 1000 });
  await assert.rejects(reader.rows(`INSERT INTO {db}.overrides (kind) VALUES ('x')`), /readonly/i);
  await assert.rejects(reader.rows('SELECT number FROM numbers(5000)'), (err: Error & { code?: string }) => err.code === 'REPUTE_ANALYST_QUERY_TOO_LARGE');
  const doc = await h.app.inject({ url: '/openapi.json' });
  assert.equal(doc.statusCode, 200);
  const paths = Object.keys(doc.json().paths);
  for (const p of ['/v1/indicators/file/{value}', '/v1/hunts/new-and-spreading', '/v1/overrides/url/{value}', '/v1/disputes', '/v1/watchlists/{name}', '/v1/feeds/{kind}', '/taxii2/']) assert.ok(paths.includes(p), p);
  // An indicator's value depends on its kind: the document spells each kind out, with the
  // pattern the routes enforce, in paths and in bodies.
  const published = doc.json();
  assert.ok(!paths.some((p) => p.includes('{kind}/{value}')), 'no generic kind/value path is left');
  const patternOf = (path: string) => (published.paths[path].get.parameters as { name: string; schema: { pattern: string } }[]).find((p) => p.name === 'value')!.schema;
  assert.equal(patternOf('/v1/indicators/file/{value}').pattern, INDICATOR_SYNTAX.file.pattern);
  assert.equal(patternOf('/v1/indicators/url/{value}/history').pattern, PATH_SYNTAX.url.pattern);
  const dispute = published.paths['/v1/disputes'].post.requestBody.content['application/json'].schema;
  assert.deepEqual(dispute.oneOf.map((o: { properties: { kind: { enum: string[] } } }) => o.properties.kind.enum[0]), ['file', 'url', 'domain', 'ip', 'email']);
  assert.equal(dispute.oneOf[3].properties.value.pattern, INDICATOR_SYNTAX.ip.pattern);
  assert.equal((await h.app.inject({ url: '/docs' })).statusCode < 400, true);
});
