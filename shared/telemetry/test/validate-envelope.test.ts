import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeValidatedEnvelope, encodeEnvelope, envelopeEncoder, validateAndCanonicalize, type TelemetryEvent } from '../src/index.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const good: TelemetryEvent = { v: 1, id: 'evt-1', sensor: 's-1', host: 'h-1', time: NOW - 60_000, type: 'file_seen', file: { sha256: 'a'.repeat(64) } };
const frame = (event: unknown, extra = ''): string => `{"v":1,"tenant":"t1","receivedAt":${NOW}${extra},"event":${JSON.stringify(event)}}`;
const refusal = (raw: string, message: RegExp) => assert.throws(() => decodeValidatedEnvelope(raw), (err: Error & { code?: string }) => err.code === 'REPUTE_TELEMETRY_BAD_ENVELOPE' && message.test(err.message), raw);

test('an envelope as ingest writes it is read back unchanged, however old its event', () => {
  assert.deepEqual(decodeValidatedEnvelope(encodeEnvelope('t1', NOW, good)).event, good);
  // Ingest's age bound is its admission policy: a backlog or a replay weeks later is still valid.
  const old = { ...good, time: NOW - 90 * DAY };
  assert.deepEqual(decodeValidatedEnvelope(encodeEnvelope('t1', NOW, old)).event, old);
});

test('a field of another type than ingest writes is refused naming the field', () => {
  refusal(frame({ ...good, time: '2025-06-01T11:59:00Z' }), /not in the form ingest publishes at \/time: a string where ingest writes a number/);
  refusal(frame({ ...good, time: 'yesterday, more or less' }), /invalid_time at \/time/);
  refusal(frame({ ...good, sensor: 42 }), /invalid_field at \/sensor/);
  refusal(frame({ ...good, port: '443' }), /invalid_field at \/port/);
  refusal(frame({ ...good, v: undefined }), /not in the form ingest publishes at \/v: nothing where ingest writes a number/);
  refusal(frame({ ...good, extra: 1 }), /invalid_field at \/extra/);
  refusal(frame({ ...good, verdict: { engine: 'av', category: 'evil' } }), /invalid_field at \/verdict\/category/);
  refusal(frame({ ...good, file: undefined }), /missing_indicator/);
  refusal(`{"v":1,"tenant":"t1","receivedAt":1e400,"event":${JSON.stringify(good)}}`, /receivedAt/);
  refusal(`{"v":1,"tenant":"","receivedAt":${NOW},"event":${JSON.stringify(good)}}`, /empty tenant/);
  refusal('{"v":1,"tenant":"t1"', /not JSON/);
});

test('a value of the right type that is not canonical is taken in its canonical form', () => {
  const env = decodeValidatedEnvelope(frame({ ...good, file: undefined, domain: 'Example.COM', relations: { resolvedIps: ['192.0.2.1'] }, url: 'HTTP://Example.COM/a/../b' }));
  assert.equal(env.event.domain, 'example.com');
  assert.equal(env.event.url, 'http://example.com/b');
  assert.deepEqual(decodeValidatedEnvelope(frame({ ...good, file: { sha256: 'A'.repeat(64) } })).event.file, { sha256: 'a'.repeat(64) });
});

test('property: every event ingest accepts is read back as ingest published it', () => {
  const eventLike = fc.record({
    id: fc.stringMatching(/^[A-Za-z0-9._:@/+=-]{1,40}$/),
    sensor: fc.string({ minLength: 1, maxLength: 20 }),
    host: fc.string({ minLength: 1, maxLength: 20 }),
    time: fc.oneof(fc.integer({ min: NOW - 1e9, max: NOW + 1e6 }), fc.date({ min: new Date(NOW - 1e9), max: new Date(NOW), noInvalidDate: true }).map((d) => d.toISOString())),
    type: fc.constantFrom('file_seen', 'url_visit', 'dns_resolve'),
    url: fc.webUrl(),
    domain: fc.domain(),
    ip: fc.oneof(fc.ipV4(), fc.ipV6()),
  }, { requiredKeys: ['id', 'sensor', 'host', 'time', 'type'] });
  let accepted = 0;
  fc.assert(fc.property(eventLike, fc.boolean(), (raw, trusted) => {
    const r = validateAndCanonicalize(raw, 0, { now: NOW });
    if (!r.ok) return true;
    accepted += 1;
    const env = decodeValidatedEnvelope(envelopeEncoder('tenant-a', NOW, trusted)(r.event));
    assert.deepEqual(env.event, r.event);
    return true;
  }), { numRuns: 500 });
  assert.ok(accepted > 100, `enough accepted events were tried (${accepted})`);
});
