import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Registry } from 'prom-client';
import { waitFor } from '@repute/infra';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { instrumentBus, RedisBus, type Bus } from '../src/index.ts';

after(() => closeTestServices());

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const payload = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ id: `m-${i}` }) }));

/** The gauge's values on a scrape, by `topic/group`. */
async function lagOnPage(registry: Registry): Promise<Map<string, number>> {
  const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('repute_bus_consumer_lag_messages{'));
  return new Map(lines.map((l) => {
    const topic = /topic="([^"]*)"/.exec(l)?.[1];
    const group = /group="([^"]*)"/.exec(l)?.[1];
    return [`${topic}/${group}`, Number(l.split(' ').at(-1))];
  }));
}

// The launcher shares one registry between ingest's bus (publishes only) and the correlator's
// (consumes): the lag of the correlator's group must show whichever bus registered first.
test('every bus instrumented on a registry reports the lag of the groups it consumes', async (t) => {
  const url = await testRedisUrl();
  const keyPrefix = `${uniqueName('lagmetric')}:`;
  const registry = new Registry();
  const raw = (): RedisBus => new RedisBus({ url, keyPrefix, blockMs: 100, trimIntervalMs: 3_600_000, log: silent });
  const publisher = instrumentBus(raw(), registry);
  const consumerA = instrumentBus(raw(), registry);
  const consumerB = instrumentBus(raw(), registry);
  const buses: Bus[] = [publisher, consumerA, consumerB];
  t.after(async () => { await Promise.allSettled(buses.map((b) => b.close())); });

  const topic = 'telemetry.v1';
  await publisher.publish(topic, payload(5));
  assert.deepEqual(await lagOnPage(registry), new Map(), 'nothing consumed through this registry yet');

  // Group `stuck` holds its first batch, so its lag stays at the number published.
  let release = (): void => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  let inHand = false;
  const stuck = await consumerA.subscribe({ topic, group: 'stuck', batchSize: 100, handler: async () => { inHand = true; await held; } });
  const seen = new Set<string>();
  const flowing = await consumerB.subscribe({ topic, group: 'flowing', handler: async (batch) => { for (const m of batch) seen.add(m.id); } });
  await waitFor('a batch in hand', async () => (inHand ? true : undefined));
  await waitFor('the flowing group caught up', async () => (seen.size === 5 ? true : undefined));

  const page = await lagOnPage(registry);
  assert.equal(page.get(`${topic}/stuck`), 5);
  assert.equal(page.get(`${topic}/flowing`), 0);

  await publisher.publish(topic, payload(3));
  await waitFor('the flowing group caught up again', async () => (seen.size === 8 ? true : undefined));
  assert.equal((await lagOnPage(registry)).get(`${topic}/stuck`), 8);

  // A group nobody here consumes any more leaves the page; the others stay.
  release();
  await stuck.close();
  const after = await lagOnPage(registry);
  assert.equal(after.has(`${topic}/stuck`), false);
  assert.equal(after.get(`${topic}/flowing`), 0);
  await flowing.close();
  assert.deepEqual(await lagOnPage(registry), new Map());
});

test('a bus closed on a registry stops reporting; a new one on the same registry reports again', async (t) => {
  const url = await testRedisUrl();
  const keyPrefix = `${uniqueName('lagmetric')}:`;
  const registry = new Registry();
  const topic = 'telemetry.v1';
  const first = instrumentBus(new RedisBus({ url, keyPrefix, blockMs: 100, log: silent }), registry);
  t.after(() => first.close());
  await first.publish(topic, payload(4));
  await first.subscribe({ topic, group: 'g1', handler: async () => {} });
  await waitFor('g1 caught up', async () => ((await lagOnPage(registry)).get(`${topic}/g1`) === 0 ? true : undefined));
  await first.close();
  assert.equal((await lagOnPage(registry)).has(`${topic}/g1`), false);

  const second = instrumentBus(new RedisBus({ url, keyPrefix, blockMs: 100, log: silent }), registry);
  t.after(() => second.close());
  await second.publish(topic, payload(2));
  await second.subscribe({ topic, group: 'g2', handler: async () => {} });
  await waitFor('g2 caught up', async () => ((await lagOnPage(registry)).get(`${topic}/g2`) === 0 ? true : undefined));
  assert.equal((await lagOnPage(registry)).has(`${topic}/g1`), false);
});
