import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import type { DnsConfig } from '../src/config.ts';
import { buildDns, dig, dnsConfig, record, until, writer } from './helpers.ts';

// Tenant "acme" has its own zone and a view of one record; "beta" has a zone restricted to its
// networks, which 127.0.0.1 is not in; the public zone answers the global view, except to
// clients bound to a tenant.
const PUBLIC = 'bl.test.example';
const ACME = 'acme.bl.test.example';
let w: ReturnType<typeof writer>;
let app: FastifyInstance;
let port: number;
let config: DnsConfig;

before(async () => {
  config = dnsConfig(await testRedisUrl());
  w = writer(config);
  await w.store.write({ ...record('ip', '198.51.100.7', 'suspicious'), views: { acme: { verdict: 'malicious', score: 90, confidence: 0.8, reasons: [{ rule: 'tenant.sandbox', weight: 70 }] } } });
  await w.store.write(record('domain', 'allowed-by-acme.example', 'malicious'));
  await w.overlays.add('acme', { list: 'allow', kind: 'domain', value: 'allowed-by-acme.example' });
  await w.overlays.add('acme', { list: 'block', kind: 'cidr', value: '203.0.113.0/24' });
  ({ app, port } = await buildDns(config));
});
after(async () => {
  await app?.close();
  await w?.redis.quit();
  await closeTestServices();
});

const codes = async (name: string, p = port): Promise<string[]> => (await dig(p, name)).answers.map((r) => r.data);

test('a tenant zone answers with the tenant’s view; the public zone with the global one', async () => {
  assert.deepEqual(await codes(`7.100.51.198.${ACME}`), ['127.0.0.2']);
  assert.deepEqual(await codes(`7.100.51.198.${PUBLIC}`), ['127.0.0.3']);
  const txt = await dig(port, `7.100.51.198.${PUBLIC}`, 'TXT');
  assert.doesNotMatch(txt.raw, /tenant\.sandbox/, 'the global answer must not show a tenant view');
});

test('the tenant overlay decides in its zone only: block (127.0.0.8) and allow', async () => {
  assert.deepEqual(await codes(`9.113.0.203.${ACME}`), ['127.0.0.2', '127.0.0.8']);
  assert.equal((await dig(port, `9.113.0.203.${PUBLIC}`)).status, 'NXDOMAIN');
  assert.equal((await dig(port, `allowed-by-acme.example.${ACME}`)).status, 'NXDOMAIN');
  assert.deepEqual(await codes(`allowed-by-acme.example.${PUBLIC}`), ['127.0.0.2']);
});

test('an overlay change reaches the zone through the update stream', async () => {
  const name = `5.5.5.5.${ACME}`;
  assert.equal((await dig(port, name)).status, 'NXDOMAIN');
  await w.overlays.add('acme', { list: 'block', kind: 'ip', value: '5.5.5.5' });
  await until('the overlay block', async () => (await dig(port, name)).status === 'NOERROR');
  await w.overlays.remove('acme', 'block', 'ip', '5.5.5.5');
  await until('the overlay removal', async () => (await dig(port, name)).status === 'NXDOMAIN');
});

test('clients in a bound network get their tenant’s view in the public zone; restricted zones refuse others', async () => {
  const bound = await buildDns({ ...config, DNS_CLIENT_NETWORKS: '127.0.0.0/8=acme', DNS_RESTRICT_TENANT_ZONES: true });
  try {
    assert.deepEqual(await codes(`7.100.51.198.${PUBLIC}`, bound.port), ['127.0.0.2']);
    assert.deepEqual(await codes(`9.113.0.203.${PUBLIC}`, bound.port), ['127.0.0.2', '127.0.0.8']);
    assert.deepEqual(await codes(`7.100.51.198.${ACME}`, bound.port), ['127.0.0.2']);
    assert.equal((await dig(bound.port, `7.100.51.198.beta.zones.example`)).status, 'REFUSED');
  } finally {
    await bound.app.close();
  }
});
