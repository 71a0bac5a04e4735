import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeTestServices, testKafkaBrokers, uniqueName } from '@repute/infra/testkit';
import { decodeEnvelope } from '@repute/telemetry';
import { event, startIngest, type Harness } from './helpers.ts';

after(() => closeTestServices());

const post = (h: Harness, key: string, events: Record<string, unknown>[]) =>
  h.app.inject({ method: 'POST', url: '/v1/telemetry', payload: JSON.stringify(events), headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } });

// Both adapters: the flag rides in the message bytes, and each bus must carry them unchanged.
for (const bus of ['redis', 'kafka'] as const) {
  test(`${bus} bus: events sent with a trusted key carry "trusted":true in their envelope; others carry no such field`, async (t) => {
    const env: Record<string, string> = bus === 'kafka'
      ? { BUS_KIND: 'kafka', KAFKA_BROKERS: (await testKafkaBrokers()).join(','), TELEMETRY_TOPIC: uniqueName('telemetry') }
      : {};
    const h = await startIngest(env);
    t.after(() => h.close());
    const { key: trustedKey } = await h.keys.create({ tenant: 'sandbox-farm', scopes: ['ingest'], trusted: true });

    assert.equal((await post(h, trustedKey, [event(0), event(1)])).statusCode, 202);
    assert.equal((await post(h, h.key, [event(2)])).statusCode, 202);
    // A body cannot claim trust: only the key gives it.
    const claimed = await post(h, h.key, [{ ...event(3), trusted: true }]);
    assert.equal(claimed.json().rejections[0]?.field, '/trusted');

    const messages = await h.bus.read(h.config.TELEMETRY_TOPIC, { limit: 100 });
    assert.equal(messages.length, 3);
    const byId = new Map(messages.map((m) => [decodeEnvelope(m.value).event.id, { env: decodeEnvelope(m.value), raw: m.value.toString() }]));
    for (const id of ['evt-0', 'evt-1']) {
      const m = byId.get(id)!;
      assert.equal(m.env.tenant, 'sandbox-farm');
      assert.equal(m.env.trusted, true);
      assert.match(m.raw, /^\{"v":1,"tenant":"sandbox-farm","receivedAt":\d+,"trusted":true,"event":\{/);
    }
    const untrusted = byId.get('evt-2')!;
    assert.equal(untrusted.env.tenant, 'tenant-a');
    assert.equal('trusted' in untrusted.env, false);
    assert.ok(!untrusted.raw.includes('trusted'));
  });
}
