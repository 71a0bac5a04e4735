import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeTestServices, testKafkaBrokers, uniqueName } from '@repute/infra/testkit';
import kafkajs from 'kafkajs';
import { createBus, isBusError, KafkaBus, type KafkaCompression } from '../src/index.ts';
import { busContract } from './contract.ts';

after(() => closeTestServices());

const silent = { info() {}, warn() {}, error() {}, debug() {} };

busContract({
  name: 'kafka',
  timeoutMs: 60_000,
  overlaps: 'partitions',
  partitionOf: (m) => m.id.split(':')[0]!,
  makeBus: async () => new KafkaBus({ brokers: await testKafkaBrokers(), clientId: uniqueName('contract'), partitions: 3, sessionTimeoutMs: 6_000, log: silent }),
});

for (const compression of ['zstd', 'gzip'] as KafkaCompression[]) {
  test(`kafka: ${compression}-compressed batches reach readers whole, keys and headers included`, async (t) => {
    const bus = new KafkaBus({ brokers: await testKafkaBrokers(), clientId: uniqueName('compression'), partitions: 3, compression, log: silent });
    t.after(() => bus.close());
    const topic = uniqueName(`contract-${compression}`);
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 5}`, value: JSON.stringify({ id: `c-${i}`, pad: 'x'.repeat(i) }), headers: { 'x-seq': String(i) } }));
    await bus.publish(topic, sent);
    const read = await bus.read(topic, { limit: 1_000 });
    const bySeq = new Map(read.map((m) => [m.headers['x-seq'], m]));
    assert.equal(read.length, sent.length);
    for (const [i, m] of sent.entries()) {
      const got = bySeq.get(String(i));
      assert.ok(got !== undefined, `message ${i} read back`);
      assert.equal(got.key, m.key);
      assert.equal(got.value.toString(), m.value);
    }
  });
}

test('kafka: an uncompressed publish far above the broker message size limit, all on one partition, is accepted whole', async (t) => {
  const bus = new KafkaBus({ brokers: await testKafkaBrokers(), clientId: uniqueName('large'), partitions: 3, compression: 'none', log: silent });
  t.after(() => bus.close());
  const topic = uniqueName('contract-large');
  // 6,000 messages of 500 bytes under one key: 3 MB for one partition, thrice message.max.bytes.
  const value = 'x'.repeat(500);
  const sent = Array.from({ length: 6_000 }, () => ({ key: 'one-indicator', value }));
  await Promise.all([bus.publish(topic, sent), bus.publish(topic, sent.slice(0, 10))]);
  assert.equal(await bus.lag(topic, uniqueName('nobody')), 6_010);
});

test('kafka: topics the bus creates carry min.insync.replicas, the dead-letter topic included', async (t) => {
  const brokers = await testKafkaBrokers();
  const bus = new KafkaBus({ brokers, clientId: uniqueName('min-isr'), partitions: 1, replicationFactor: 1, minInSyncReplicas: 1, log: silent });
  const admin = new kafkajs.Kafka({ brokers, clientId: uniqueName('min-isr-admin'), logLevel: kafkajs.logLevel.NOTHING }).admin();
  t.after(async () => { await bus.close(); await admin.disconnect(); });
  const topic = uniqueName('contract-min-isr');
  await bus.ensureTopic(topic);
  await bus.ensureTopic(`${topic}.dlq`);
  await admin.connect();
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [topic, `${topic}.dlq`].map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas'] })),
  });
  assert.equal(described.resources.length, 2);
  for (const resource of described.resources) {
    const entry = resource.configEntries.find((e) => e.configName === 'min.insync.replicas');
    assert.equal(entry?.configValue, '1', `${resource.resourceName}: min.insync.replicas`);
    assert.equal(entry?.isDefault, false, `${resource.resourceName}: set on the topic, not inherited from the broker`);
  }
});

test('kafka: createBus refuses a min.insync.replicas above the replication factor', () => {
  assert.throws(
    () => createBus({ BUS_KIND: 'kafka', KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_REPLICATION_FACTOR: 1, KAFKA_MIN_INSYNC_REPLICAS: 2 }),
    (err: unknown) => isBusError(err) && err.code === 'REPUTE_BUS_CONFIG' && /KAFKA_MIN_INSYNC_REPLICAS \(2\) must not exceed KAFKA_REPLICATION_FACTOR \(1\)/.test(err.message),
  );
});
