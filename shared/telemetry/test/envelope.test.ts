import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeEnvelope, encodeEnvelope, envelopeEncoder, validateAndCanonicalize, type TelemetryEvent } from '../src/index.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');

function event(): TelemetryEvent {
  const r = validateAndCanonicalize({ id: 'evt-1', sensor: 's-1', host: 'h-1', time: '2025-06-01T11:59:00Z', type: 'file_seen', file: { sha256: 'a'.repeat(64) } }, 0, { now: NOW });
  assert.equal(r.ok, true);
  return (r as { event: TelemetryEvent }).event;
}

test('a trusted key\'s envelope carries "trusted":true between receivedAt and event; an untrusted one has no such field', () => {
  const e = event();
  const trusted = encodeEnvelope('farm', NOW, e, true);
  assert.equal(trusted, `{"v":1,"tenant":"farm","receivedAt":${NOW},"trusted":true,"event":${JSON.stringify(e)}}`);
  assert.deepEqual(decodeEnvelope(trusted), { v: 1, tenant: 'farm', receivedAt: NOW, trusted: true, event: e });
  const plain = encodeEnvelope('acme', NOW, e);
  assert.equal(plain, encodeEnvelope('acme', NOW, e, false));
  assert.ok(!plain.includes('trusted'));
  const decoded = decodeEnvelope(plain);
  assert.equal('trusted' in decoded, false);
});

test('property: with or without trust, the encoder writes the bytes of JSON.stringify of the whole envelope', () => {
  const e = event();
  fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.oneof(fc.integer(), fc.double()), fc.boolean(), (tenant, receivedAt, trusted) => {
    const expected = JSON.stringify(trusted ? { v: 1, tenant, receivedAt, trusted: true, event: e } : { v: 1, tenant, receivedAt, event: e });
    assert.equal(envelopeEncoder(tenant, receivedAt, trusted)(e), expected);
    assert.equal(encodeEnvelope(tenant, receivedAt, e, trusted), expected);
  }), { numRuns: 300 });
});

test('decodeEnvelope refuses a trusted that is not a boolean, and reads false as absent', () => {
  const e = JSON.stringify(event());
  for (const bad of ['1', '"true"', 'null', '{}', '[]']) {
    assert.throws(() => decodeEnvelope(`{"v":1,"tenant":"t","receivedAt":1,"trusted":${bad},"event":${e}}`), { code: 'REPUTE_TELEMETRY_BAD_ENVELOPE' }, bad);
  }
  const untrusted = decodeEnvelope(`{"v":1,"tenant":"t","receivedAt":1,"trusted":false,"event":${e}}`);
  assert.equal(untrusted.trusted, undefined);
  assert.equal('trusted' in untrusted, false);
});
