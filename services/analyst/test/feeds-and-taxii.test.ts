import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { removeTestClickHouseData } from '@repute/analytics/testkit';
import { closeTestServices } from '@repute/infra/testkit';
import { harness, message, stixPython } from './helpers.ts';

const run = promisify(execFile);

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const FILES = ['11', '22', '33'].map((b) => b.repeat(32));

/** Three malicious files (engine detections from several sensors), processed by the correlator. */
async function seed(h: Awaited<ReturnType<typeof harness>>) {
  for (const file of FILES) {
    await h.correlator.handle([1, 2, 3].map((i) => message({ sensor: `s${i}`, type: 'detection', file: { sha256: file }, verdict: { engine: `av${i}`, category: 'malicious' } }, `t${i}`)));
  }
}

test('feeds: malicious files as text, CSV and a STIX 2.1 bundle, paged with a cursor; partner scope and quota', async (t) => {
  const h = await harness(t);
  await seed(h);
  const partner = await h.key('p1', ['partner'], { dailyQuota: 1000 });
  const text = await h.get('/v1/feeds/file', partner);
  assert.equal(text.status, 200, text.text);
  assert.deepEqual(text.text.trim().split('\n').sort(), [...FILES].sort());
  const csv = await h.get('/v1/feeds/file?format=csv', partner);
  assert.match(String(csv.headers['content-type']), /text\/csv/);
  assert.equal(csv.text.split('\r\n')[0], 'kind,value,verdict,score,first_malicious,modified');
  const stix = await h.get('/v1/feeds/file?format=stix', partner);
  assert.match(String(stix.headers['content-type']), /^application\/stix\+json;version=2\.1$/);
  assert.equal(stix.body.type, 'bundle');
  assert.equal(stix.body.objects.length, 3);
  const sdo = stix.body.objects.find((o: { pattern: string }) => o.pattern.includes(FILES[0]!));
  assert.equal(sdo.pattern, `[file:hashes.'SHA-256' = '${FILES[0]}']`);
  assert.equal(sdo.spec_version, '2.1');
  assert.match(sdo.id, /^indicator--[0-9a-f-]{36}$/);
  const first = await h.get('/v1/feeds/file?limit=2', partner);
  const next = String(first.headers['x-repute-next-cursor']);
  const rest = await h.get(`/v1/feeds/file?limit=2&cursor=${next}`, partner);
  assert.equal(first.text.trim().split('\n').length + rest.text.trim().split('\n').length, 3);
  assert.equal((await h.get('/v1/feeds/domain', partner)).text, '');
  assert.equal((await h.get(`/v1/feeds/file?since=${Date.now() + 60_000}`, partner)).text, '');
  assert.equal((await h.get('/v1/feeds/file?format=xml', partner)).status, 400);
  assert.equal((await h.get('/v1/feeds/file?cursor=zzz', partner)).body.errors[0].field, 'querystring.cursor');
  // The document states the cursor's form; every cursor of that form names a position and is
  // served from there, whoever made it. Anything else is a 400.
  const doc = (await h.app.inject({ url: '/openapi.json' })).json();
  const cursorSchema = doc.paths['/v1/feeds/{kind}'].get.parameters.find((p: { name: string }) => p.name === 'cursor').schema;
  assert.ok(cursorSchema.maxLength <= 100, JSON.stringify(cursorSchema));
  const cursorForm = new RegExp(cursorSchema.pattern, 'u');
  assert.match(next, cursorForm, 'the feed gives out cursors of the form it documents');
  for (const [cursor, lines] of [[`0.file.${'0'.repeat(64)}`, 3], [`0000000000001.url.${'f'.repeat(64)}`, 3], [`9999999999999.email.${'a'.repeat(64)}`, 0]] as const) {
    assert.match(cursor, cursorForm);
    const res = await h.get(`/v1/feeds/file?cursor=${cursor}`, partner);
    assert.equal(res.status, 200, `${cursor}: ${res.text}`);
    assert.equal(res.text.split('\n').filter(Boolean).length, lines, cursor);
  }
  for (const cursor of ['0'.repeat(200), `1.file.${'0'.repeat(63)}`, `1.files.${'0'.repeat(64)}`, `-1.file.${'0'.repeat(64)}`, `10000000000000.file.${'0'.repeat(64)}`, Buffer.from(JSON.stringify([1, 'file', '0'.repeat(64)])).toString('base64url')]) {
    assert.doesNotMatch(cursor, cursorForm);
    const res = await h.get(`/v1/feeds/file?cursor=${encodeURIComponent(cursor)}`, partner);
    assert.equal(res.status, 400, `${cursor}: ${res.text}`);
    assert.equal(res.body.errors[0].field, 'querystring.cursor');
  }
  const analyst = await h.key('t1', ['analyst']);
  assert.equal((await h.get('/v1/feeds/file', analyst)).status, 403);

  const lookup = await h.get(`/v1/partner/reputation/file/${FILES[0]}`, partner);
  assert.equal(lookup.status, 200, lookup.text);
  assert.equal(lookup.body.verdict, 'malicious');
  const limited = await h.key('p2', ['partner'], { dailyQuota: 2 });
  assert.equal((await h.get(`/v1/partner/reputation/file/${FILES[0]}`, limited)).status, 200);
  assert.equal((await h.get(`/v1/partner/reputation/file/${FILES[1]}`, limited)).status, 200);
  assert.equal((await h.get(`/v1/partner/reputation/file/${FILES[2]}`, limited)).status, 429);
});

test('TAXII 2.1: discovery, collections, objects with added_after and paging, manifest; read by the stock taxii2-client', async (t) => {
  const h = await harness(t);
  await seed(h);
  const partner = await h.key('p1', ['partner']);
  const taxii = { accept: 'application/taxii+json;version=2.1', authorization: `Basic ${Buffer.from(`anyone:${partner}`).toString('base64')}` };
  const discovery = await h.app.inject({ url: '/taxii2/', headers: taxii });
  assert.equal(discovery.statusCode, 200, discovery.body);
  assert.match(String(discovery.headers['content-type']), /^application\/taxii\+json;version=2\.1$/);
  const collections = (await h.app.inject({ url: '/taxii2/feeds/collections/', headers: taxii })).json().collections;
  const files = collections.find((c: { title: string }) => c.title === 'Malicious file indicators');
  const page1 = await h.app.inject({ url: `/taxii2/feeds/collections/${files.id}/objects/?limit=2`, headers: taxii });
  assert.equal(page1.json().more, true);
  assert.ok(page1.headers['x-taxii-date-added-first']);
  const page2 = (await h.app.inject({ url: `/taxii2/feeds/collections/${files.id}/objects/?limit=2&next=${page1.json().next}`, headers: taxii })).json();
  assert.equal(page2.more, false);
  assert.equal(page1.json().objects.length + page2.objects.length, 3);
  const last = String(page1.headers['x-taxii-date-added-last']);
  const after = (await h.app.inject({ url: `/taxii2/feeds/collections/${files.id}/objects/?added_after=${last}`, headers: taxii })).json();
  assert.ok(after.objects.length < 3);
  const one = page2.objects[0];
  const byId = (await h.app.inject({ url: `/taxii2/feeds/collections/${files.id}/objects/${one.id}/`, headers: taxii })).json();
  assert.equal(byId.objects[0].id, one.id);
  assert.equal((await h.app.inject({ url: '/taxii2/', headers: { accept: 'text/html', authorization: taxii.authorization } })).statusCode, 406);
  assert.equal((await h.app.inject({ url: '/taxii2/', headers: { accept: taxii.accept } })).statusCode, 401);
  assert.equal((await h.app.inject({ url: '/taxii2/feeds/collections/00000000-0000-4000-8000-000000000000/objects/', headers: taxii })).statusCode, 404);

  const python = await stixPython(t);
  if (python === null) return;
  const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const newest = new Date(Date.now() + 60_000).toISOString();
  const { stdout } = await run(python, [join(import.meta.dirname, 'taxii-client.py'), `${address}/taxii2/`, partner, newest], { timeout: 60_000 });
  const seen = JSON.parse(stdout);
  assert.equal(seen.title, 'Repute TAXII server');
  assert.deepEqual(seen.versions, ['application/taxii+json;version=2.1']);
  assert.equal(Object.keys(seen.collections).length, 5);
  assert.deepEqual([...seen.objects].sort(), FILES.map((f) => `[file:hashes.'SHA-256' = '${f}']`).sort());
  assert.equal(seen.pages.flat().length, 3, 'as_pages followed next/more through every object');
  assert.deepEqual(seen.after_last, []);
  assert.equal(seen.manifest.length, 3);
  assert.deepEqual(seen.object_versions.listed, [seen.object_versions.object], 'object_versions lists the version get_objects served');
  assert.equal(seen.v20_status, 406);
});

const TAXII_TYPE = 'application/taxii+json;version=2.1';

/** A TAXII 2.1 error resource (§3.6.1), not a problem document, with the TAXII media type. */
function assertTaxiiError(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers['content-type'], TAXII_TYPE);
  const body = JSON.parse(res.body);
  assert.equal(typeof body.title, 'string');
  assert.equal(body.http_status, String(status));
  assert.equal(body.type, undefined, 'not application/problem+json');
  return body;
}

test('TAXII 2.1 conformance: object versions, read-only collections, version negotiation, errors as TAXII error resources', async (t) => {
  const h = await harness(t);
  await seed(h);
  const partner = await h.key('p1', ['partner']);
  const auth = `Basic ${Buffer.from(`anyone:${partner}`).toString('base64')}`;
  const taxii = { accept: TAXII_TYPE, authorization: auth };
  const get = (url: string, headers: Record<string, string> = taxii) => h.app.inject({ url, headers });
  const collections = (await get('/taxii2/feeds/collections/')).json().collections;
  const files = collections.find((c: { title: string }) => c.title === 'Malicious file indicators');
  const domains = collections.find((c: { title: string }) => c.title === 'Malicious domain indicators');
  const objects = `/taxii2/feeds/collections/${files.id}/objects/`;
  const obj = (await get(objects)).json().objects[0];

  // §5.7 Get Object Versions: the versions this collection holds, oldest first.
  const versions = await get(`${objects}${obj.id}/versions/`);
  assert.equal(versions.statusCode, 200, versions.body);
  assert.equal(versions.headers['content-type'], TAXII_TYPE);
  assert.deepEqual(versions.json(), { more: false, versions: [obj.modified] });
  assert.equal(versions.headers['x-taxii-date-added-first'], obj.modified);
  assert.equal(versions.headers['x-taxii-date-added-last'], obj.modified);
  assert.deepEqual((await get(`${objects}${obj.id}/versions/?limit=1`)).json(), { more: false, versions: [obj.modified] });
  const before = new Date(Date.parse(obj.modified) - 1).toISOString();
  assert.deepEqual((await get(`${objects}${obj.id}/versions/?added_after=${before}`)).json().versions, [obj.modified]);
  const none = await get(`${objects}${obj.id}/versions/?added_after=${obj.modified}`);
  assert.deepEqual(none.json(), { more: false, versions: [] });
  assert.equal(none.headers['x-taxii-date-added-first'], undefined);
  assertTaxiiError(await get(`${objects}${obj.id}/versions/?added_after=yesterday`), 400);
  assertTaxiiError(await get(`${objects}${obj.id}/versions/?next=zzz`), 400);
  assertTaxiiError(await get(`${objects}indicator--00000000-0000-4000-8000-000000000000/versions/`), 404);
  assertTaxiiError(await get(`/taxii2/feeds/collections/${domains.id}/objects/${obj.id}/versions/`), 404);
  assertTaxiiError(await get(`/taxii2/feeds/collections/00000000-0000-4000-8000-000000000000/objects/${obj.id}/versions/`), 404);

  // A collection with can_write false refuses adds and deletes with 403; a resource without the
  // method at all answers 405 and says what it allows.
  assert.equal(files.can_write, false);
  const envelope = { objects: [obj] };
  const post = (url: string) => h.app.inject({ method: 'POST', url, headers: { ...taxii, 'content-type': TAXII_TYPE }, payload: JSON.stringify(envelope) });
  assertTaxiiError(await post(objects), 403);
  assertTaxiiError(await post('/taxii2/feeds/collections/nope/objects/'), 404);
  assertTaxiiError(await h.app.inject({ method: 'DELETE', url: `${objects}${obj.id}/`, headers: taxii }), 403);
  assertTaxiiError(await h.app.inject({ method: 'POST', url: objects, headers: { accept: TAXII_TYPE, 'content-type': TAXII_TYPE }, payload: '{}' }), 401);
  const notAllowed = await post('/taxii2/feeds/collections/');
  assertTaxiiError(notAllowed, 405);
  assert.match(String(notAllowed.headers['allow']), /GET/);
  assertTaxiiError(await post(`${objects}${obj.id}/versions/`), 405);
  assertTaxiiError(await post(`/taxii2/feeds/collections/${files.id}/manifest/`), 405);
  // A method with a body but no content type (QUERY) is refused before routing: still a 405.
  assertTaxiiError(await h.app.inject({ method: 'QUERY' as 'GET', url: '/taxii2/feeds/collections/', headers: taxii }), 405);

  // Accept names the TAXII version: 2.1 (or no version: the newest) is served, any other is 406.
  for (const accept of ['application/taxii+json;version=2.0', 'application/taxii+json;version=2.2', 'application/stix+json;version=2.1', 'text/html', 'application/taxii+json;version=2.1;q=0']) {
    assertTaxiiError(await get('/taxii2/', { accept, authorization: auth }), 406);
    assertTaxiiError(await get(objects, { accept, authorization: auth }), 406);
  }
  for (const accept of ['application/taxii+json', 'application/taxii+json; version="2.1"', 'application/taxii+json;version=2.0, application/taxii+json;version=2.1', 'application/json', '*/*']) {
    const ok = await get('/taxii2/', { accept, authorization: auth });
    assert.equal(ok.statusCode, 200, `${accept}: ${ok.body}`);
    assert.equal(ok.headers['content-type'], TAXII_TYPE);
  }

  // Every error under /taxii2/ is a TAXII error resource.
  assertTaxiiError(await get('/taxii2/', { accept: TAXII_TYPE }), 401);
  const analyst = await h.key('t1', ['analyst']);
  assertTaxiiError(await get('/taxii2/', { accept: TAXII_TYPE, authorization: `Bearer ${analyst}` }), 403);
  assertTaxiiError(await get('/taxii2/nope/'), 404);
  assertTaxiiError(await get('/taxii2/feeds/collections/00000000-0000-4000-8000-000000000000/'), 404);
  assertTaxiiError(await get(`${objects}indicator--00000000-0000-4000-8000-000000000000/`), 404);
  assertTaxiiError(await get('/taxii2/feeds/no-such-resource/'), 404);
  const invalid = assertTaxiiError(await get(`${objects}?limit=0`), 400);
  assert.match(invalid.description, /limit/);
  assertTaxiiError(await get(`${objects}?added_after=yesterday`), 400);
  assertTaxiiError(await get(`/taxii2/feeds/collections/${files.id}/manifest/?next=zzz`), 400);
  // Malformed ids and tokens are schema violations (400); well-formed ones naming nothing are 404.
  assertTaxiiError(await get('/taxii2/feeds/collections/not-a-uuid/objects/'), 400);
  assertTaxiiError(await get(`${objects}not-a-stix-id/`), 400);
  assertTaxiiError(await get(`${objects}?added_after=2024-13-01T00:00:00Z`), 400);
  assertTaxiiError(await get(`${objects}?match[id]=indicator--1`), 400);
  assertTaxiiError(await get('/taxii2/feeds/collections/00000000-0000-4000-8000-000000000000/objects/'), 404);
  const limited = await h.key('p2', ['partner'], { dailyQuota: 1 });
  await get('/taxii2/', { accept: TAXII_TYPE, authorization: `Bearer ${limited}` });
  const quota = assertTaxiiError(await get('/taxii2/', { accept: TAXII_TYPE, authorization: `Bearer ${limited}` }), 429);
  assert.ok(quota.title);

  // Outside /taxii2/ errors stay application/problem+json.
  const feedError = await h.app.inject({ url: '/v1/feeds/file?format=xml', headers: { authorization: `Bearer ${partner}` } });
  assert.match(String(feedError.headers['content-type']), /^application\/problem\+json/);
  assert.match(String((await h.app.inject({ url: '/v1/no-such-route' })).headers['content-type']), /^application\/problem\+json/);
});

test('TAXII 2.1 parameters: each bounded and of a stated form, so that no request near the document is refused by the HTTP parser', async (t) => {
  const h = await harness(t);
  await seed(h);
  const partner = await h.key('p1', ['partner']);
  const headers = { accept: TAXII_TYPE, authorization: `Bearer ${partner}` };
  const doc = (await h.app.inject({ url: '/openapi.json' })).json();
  let budget = 0;
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { parameters?: { name: string; in: string; schema: Record<string, unknown> }[] }>>)) {
    if (!path.startsWith('/taxii2')) continue;
    for (const [method, operation] of Object.entries(item)) {
      let worst = 0;
      for (const p of operation.parameters ?? []) {
        const where = `${method.toUpperCase()} ${path} ${p.in} ${p.name}`;
        if (p.schema['type'] === 'integer') {
          assert.equal(typeof p.schema['maximum'], 'number', where);
          continue;
        }
        assert.equal(typeof p.schema['maxLength'], 'number', where);
        if (['id', 'objectId', 'next', 'added_after', 'match[id]', 'match[type]'].includes(p.name)) assert.equal(typeof p.schema['pattern'], 'string', where);
        // Slightly over its bound, every character four UTF-8 bytes, percent-encoded.
        worst += p.name.length + ((p.schema['maxLength'] as number) + 1) * 12;
      }
      budget = Math.max(budget, worst);
    }
  }
  assert.ok(budget < 48 * 1024, `the TAXII parameters of one operation may take ${budget} bytes`);

  // Through the real HTTP parser: far over every bound yet within the header limit, a TAXII 400.
  const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { collections } = (await (await fetch(`${address}/taxii2/feeds/collections/`, { headers })).json()) as { collections: { id: string; title: string }[] };
  const files = collections.find((c) => c.title === 'Malicious file indicators')!;
  const wide = (n: number) => encodeURIComponent('\u00f7\u{1f600}'.repeat(n));
  for (const url of [
    `/taxii2/feeds/collections/${files.id}/objects/?match[id]=${wide(1200)}&next=${wide(100)}&added_after=${wide(40)}`,
    `/taxii2/${wide(70)}/collections/${wide(40)}/manifest/?match[type]=${wide(300)}`,
    `/taxii2/feeds/collections/${files.id}/objects/${wide(300)}/versions/?next=${wide(100)}`,
  ]) {
    const res = await fetch(`${address}${url}`, { headers });
    const body = await res.text();
    assert.equal(res.status, 400, `${url.slice(0, 60)}: ${body.slice(0, 300)}`);
    assert.equal(res.headers.get('content-type'), TAXII_TYPE);
    assert.equal(JSON.parse(body).http_status, '400');
  }
  // A next token of the documented form is served from the position it names.
  const objects = `${address}/taxii2/feeds/collections/${files.id}/objects/`;
  const all = (await (await fetch(`${objects}?next=0.file.${'0'.repeat(64)}`, { headers })).json()) as { objects: unknown[] };
  assert.equal(all.objects.length, 3);
  // So is every timestamp of the documented form, however far from now.
  for (const [added_after, count] of [['0000-01-01T00:00:00Z', 3], ['9999-12-31T23:59:59.999999999Z', 0]] as const) {
    const res = await fetch(`${objects}?added_after=${added_after}`, { headers });
    assert.equal(res.status, 200, added_after);
    assert.equal(((await res.json()) as { objects: unknown[] }).objects.length, count, added_after);
  }
  const page = (await (await fetch(`${objects}?limit=1`, { headers })).json()) as { next: string };
  const nextSchema = doc.paths['/taxii2/{root}/collections/{id}/objects/'].get.parameters.find((p: { name: string }) => p.name === 'next').schema;
  assert.match(page.next, new RegExp(nextSchema.pattern, 'u'));
});
