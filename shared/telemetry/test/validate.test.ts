import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalizeUrl } from '@repute/core';
import { decodeEnvelope, encodeEnvelope, envelopeEncoder, primaryIndicator, validateAndCanonicalize, type TelemetryEvent } from '../src/index.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const SHA = 'A'.repeat(64);

function valid(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'evt-1', sensor: 's-1', host: 'h-1', time: '2025-06-01T11:59:00Z', type: 'file_seen', file: { sha256: SHA }, ...extra };
}

function ok(raw: unknown): TelemetryEvent {
  const r = validateAndCanonicalize(raw, 0, { now: NOW });
  assert.equal(r.ok, true, JSON.stringify(r));
  return (r as { event: TelemetryEvent }).event;
}

test('a valid event comes back canonical: lowercase hashes, canonical URL/domain/IP/e-mail, time in epoch ms', () => {
  const event = ok(valid({
    type: 'email_received',
    file: { sha256: SHA, md5: 'D41D8CD98F00B204E9800998ECF8427E', name: 'invoice.pdf.exe', size: 1234, signer: 'Nobody Ltd' },
    url: 'HTTP://Evil.EXAMPLE.com:80/a/../b/%7Efoo',
    domain: 'WWW.Example.COM.',
    ip: '::FFFF:198.51.100.7',
    port: 443,
    sender: 'Bad.Guy@Example.COM',
    relations: { downloadedFrom: 'http://evil.example.com/x', resolvedIps: ['198.51.100.7'], carriedUrls: ['HTTP://A.example/'], attachments: [{ sha256: SHA }] },
    verdict: { engine: 'local-av', name: 'Trojan.X', category: 'malicious' },
  }));
  assert.equal(event.v, 1);
  assert.equal(event.time, Date.parse('2025-06-01T11:59:00Z'));
  assert.equal(event.file?.sha256, 'a'.repeat(64));
  assert.equal(event.file?.md5, 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(event.url, canonicalizeUrl('HTTP://Evil.EXAMPLE.com:80/a/../b/%7Efoo'));
  assert.equal(event.domain, 'www.example.com');
  assert.equal(event.sender, 'Bad.Guy@example.com', 'the local part keeps its case');
  assert.equal(event.relations?.carriedUrls?.[0], canonicalizeUrl('HTTP://A.example/'));
  assert.equal(event.relations?.attachments?.[0]?.sha256, 'a'.repeat(64));
  assert.deepEqual(event.verdict, { engine: 'local-av', name: 'Trojan.X', category: 'malicious' });
});

test('epoch milliseconds are accepted as the time', () => {
  assert.equal(ok(valid({ time: NOW - 1000 })).time, NOW - 1000);
});

test('rejections carry the index, a stable reason and the field', () => {
  const cases: [unknown, string, string][] = [
    [42, 'not_an_object', ''],
    [[valid()], 'not_an_object', ''],
    [valid({ type: 'coffee_break' }), 'invalid_field', '/type'],
    [valid({ tenant: 'someone-else' }), 'invalid_field', '/tenant'],
    [valid({ id: 'x'.repeat(129) }), 'invalid_field', '/id'],
    [valid({ file: { sha256: 'zz' } }), 'invalid_indicator', '/file/sha256'],
    [valid({ file: { sha256: 'd41d8cd98f00b204e9800998ecf8427e' } }), 'invalid_indicator', '/file/sha256'],
    [valid({ url: 'http://' }), 'invalid_indicator', '/url'],
    [valid({ relations: { resolvedIps: ['1.2.3.4', '999.1.1.1'] } }), 'invalid_indicator', '/relations/resolvedIps/1'],
    [valid({ time: 'yesterday-ish!' }), 'invalid_time', '/time'],
    [valid({ time: NOW + 2 * 3600_000 }), 'time_out_of_range', '/time'],
    [valid({ time: '2001-01-01T00:00:00Z' }), 'time_out_of_range', '/time'],
    [{ id: 'e', sensor: 's', host: 'h', time: NOW, type: 'net_conn', port: 80 }, 'missing_indicator', ''],
    [valid({ relations: { carriedUrls: Array.from({ length: 65 }, () => 'http://a.example/') } }), 'invalid_field', '/relations/carriedUrls'],
  ];
  for (const [raw, reason, field] of cases) {
    const r = validateAndCanonicalize(raw, 7, { now: NOW });
    assert.equal(r.ok, false, `${JSON.stringify(raw).slice(60, 200)} should be rejected`);
    if (r.ok) continue;
    assert.equal(r.index, 7);
    assert.equal(r.reason, reason, `${JSON.stringify(raw).slice(0, 120)}: ${r.detail}`);
    assert.equal(r.field, field, `${reason}: ${r.detail}`);
    assert.ok(r.detail.length > 0);
  }
});

test('the primary indicator prefers the file, then URL, domain, IP, sender; its digest is the message key', () => {
  const withFile = ok(valid({ url: 'http://a.example/' }));
  assert.deepEqual(primaryIndicator(withFile), { kind: 'file', value: 'a'.repeat(64), digest: 'a'.repeat(64) });
  const { file: _f, ...noFile } = valid({ domain: 'b.example', ip: '192.0.2.1' });
  const byDomain = ok(noFile);
  assert.equal(primaryIndicator(byDomain).kind, 'domain');
  assert.match(primaryIndicator(byDomain).digest, /^[0-9a-f]{64}$/);
  // Recomputed from a decoded event (no cache), the key is the same.
  const decoded = decodeEnvelope(encodeEnvelope('t1', NOW, byDomain)).event;
  assert.deepEqual(primaryIndicator(decoded), primaryIndicator(byDomain));
});

test('the envelope is compact JSON with the tenant from outside the event', () => {
  const event = ok(valid());
  const text = encodeEnvelope('tenant-a', NOW, event);
  assert.ok(!text.includes('\n') && !text.includes(': '));
  const env = decodeEnvelope(Buffer.from(text));
  assert.deepEqual(env, { v: 1, tenant: 'tenant-a', receivedAt: NOW, event });
  assert.throws(() => decodeEnvelope('{"v":2}'), { code: 'REPUTE_TELEMETRY_BAD_ENVELOPE' });
  assert.throws(() => decodeEnvelope('nope'), { code: 'REPUTE_TELEMETRY_BAD_ENVELOPE' });
});

test('property: the per-request envelope encoder writes the bytes of JSON.stringify of the whole envelope', () => {
  const event = ok(valid({ url: 'http://a.example/x?q="1"', verdict: { engine: 'e\u2028', category: 'clean' } }));
  fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.oneof(fc.integer(), fc.double()), (tenant, receivedAt) => {
    const expected = JSON.stringify({ v: 1, tenant, receivedAt, event });
    assert.equal(envelopeEncoder(tenant, receivedAt)(event), expected);
    assert.equal(encodeEnvelope(tenant, receivedAt, event), expected);
  }), { numRuns: 300 });
});

test('property: any JSON value is either accepted canonically (idempotent) or rejected with a reason, never thrown', () => {
  const eventLike = fc.record({
    id: fc.string({ minLength: 0, maxLength: 140 }),
    sensor: fc.string(),
    host: fc.string(),
    time: fc.oneof(fc.integer({ min: NOW - 1e9, max: NOW + 1e9 }), fc.string()),
    type: fc.constantFrom('file_seen', 'url_visit', 'nope'),
    url: fc.oneof(fc.webUrl(), fc.string()),
    domain: fc.domain(),
    ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()),
  }, { requiredKeys: ['id', 'sensor', 'host', 'time', 'type'] });
  fc.assert(fc.property(fc.oneof(eventLike, fc.jsonValue()), (raw) => {
    const r = validateAndCanonicalize(raw, 0, { now: NOW });
    if (!r.ok) return typeof r.reason === 'string' && typeof r.field === 'string';
    // Canonical output validates to itself.
    const again = validateAndCanonicalize(JSON.parse(JSON.stringify(r.event)), 0, { now: NOW });
    assert.equal(again.ok, true);
    assert.deepEqual((again as { event: TelemetryEvent }).event, r.event);
    // The primary that validation hands out is the one derived from the event alone.
    assert.deepEqual(r.primary, primaryIndicator(r.event));
    return true;
  }), { numRuns: 500 });
});

test('a field the schema does not know is refused as an unknown field, at its own path', () => {
  for (const [raw, field] of [[valid({ tenant: 'someone-else' }), '/tenant'], [valid({ file: { sha256: SHA, bogus: 1 } }), '/file/bogus']] as const) {
    const r = validateAndCanonicalize(raw, 0, { now: NOW });
    assert.equal(r.ok, false);
    if (r.ok) continue;
    assert.deepEqual([r.reason, r.field, r.detail], ['invalid_field', field, 'unknown field']);
  }
});
