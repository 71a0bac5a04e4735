import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeTestServices, testKafkaBrokers, uniqueName } from '@repute/infra/testkit';
import kafkajs from 'kafkajs';
import { createBus, isBusError, KafkaBus, type Bus, type KafkaCompression } from '../src/index.ts';
import { busContract } from './contract.ts';

after(() => closeTestServices());

const silent = { info() {}, warn() {}, error() {}, debug() {} };

busContract({
  name: 'kafka',
  timeoutMs: 60_000,
  overlaps: 'partitions',
  partitionOf: (m) => m.id.split(':')[0]!,
  makeBus: async () => new KafkaBus({ brokers: await testKafkaBrokers(), clientId: uniqueName('contract'), partitions: 3, sessionTimeoutMs: 6_000, log: silent }),
  writeUndecodable: async (bus: Bus, topic: string) => {
    // Records from another producer, written as the Kafka protocol allows and the bus never does.
    await (bus as KafkaBus).ensureTopic(topic);
    const producer = new kafkajs.Kafka({ brokers: await testKafkaBrokers(), clientId: uniqueName('foreign'), logLevel: kafkajs.logLevel.NOTHING }).producer();
    await producer.connect();
    // kafkajs sizes a header with Buffer.byteLength before it checks for null, so it cannot
    // send the null header value the protocol allows (and its consumer decodes); while this
    // send runs, byteLength counts null as empty.
    const byteLength = Buffer.byteLength;
    Buffer.byteLength = ((s: Parameters<typeof byteLength>[0], e?: BufferEncoding) => (s === null ? 0 : byteLength(s, e))) as typeof byteLength;
    try {
      const value = JSON.stringify({ id: 'foreign' });
      await producer.send({
        topic,
        acks: -1,
        messages: [
          { key: 'k1', value, headers: { 'x-seq': null as unknown as string } },
          { key: 'k1', value, headers: { 'x-seq': ['1', '2'] } },
          { key: 'k1', value: null },
          { key: 'k1', value, headers: { 'x-seq': Buffer.from([0xff, 0xfe]) } },
          { key: Buffer.from([0xff, 0xfe]), value },
        ],
      });
    } finally {
      Buffer.byteLength = byteLength;
      await producer.disconnect();
    }
    return [/header "x-seq" has no value/, /header "x-seq" is given 2 times/, /record has no value/, /header "x-seq" is not UTF-8/, /record key is not UTF-8/];
  },
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

test('kafka: an existing topic gets the configured min.insync.replicas when it has none or less, keeps its other settings, and keeps a stricter one', async (t) => {
  const brokers = await testKafkaBrokers();
  const warnings: string[] = [];
  const log = { ...silent, warn: (_: object, msg?: string) => { warnings.push(String(msg)); } };
  const admin = new kafkajs.Kafka({ brokers, clientId: uniqueName('min-isr-admin'), logLevel: kafkajs.logLevel.NOTHING }).admin();
  const buses: KafkaBus[] = [];
  const bus = (minInSyncReplicas: number): KafkaBus => {
    const b = new KafkaBus({ brokers, clientId: uniqueName('min-isr'), partitions: 1, replicationFactor: 1, minInSyncReplicas, log });
    buses.push(b);
    return b;
  };
  t.after(async () => { await Promise.allSettled(buses.map((b) => b.close())); await admin.disconnect(); });
  await admin.connect();
  const [plain, strict, short] = [uniqueName('existing-plain'), uniqueName('existing-strict'), uniqueName('existing-short')];
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: plain, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
      { topic: strict, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      { topic: short, numPartitions: 1, replicationFactor: 1 },
    ],
  });
  const own = async (topic: string): Promise<Record<string, string>> => {
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }] });
    const entries = described.resources[0]?.configEntries ?? [];
    return Object.fromEntries(entries.filter((e) => e.configSource === kafkajs.ConfigSource.TOPIC_CONFIG).map((e) => [e.configName, e.configValue]));
  };

  // ensureTopic resolves once describeConfigs shows the value: read once, right away.
  await bus(1).ensureTopic(plain);
  assert.deepEqual(await own(plain), { 'min.insync.replicas': '1', 'retention.ms': '3600000' });
  await bus(1).ensureTopic(strict);
  assert.deepEqual(await own(strict), { 'min.insync.replicas': '2' }, 'an operator\'s stricter setting stands');
  // Two in-sync replicas of a one-replica topic would refuse every publish: left alone, said.
  await bus(2).ensureTopic(short);
  assert.deepEqual(await own(short), {});
  assert.ok(warnings.some((w) => /fewer replicas than min.insync.replicas/.test(w)), warnings.join('; '));
});

test('kafka: createBus refuses a min.insync.replicas above the replication factor', () => {
  assert.throws(
    () => createBus({ BUS_KIND: 'kafka', KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_REPLICATION_FACTOR: 1, KAFKA_MIN_INSYNC_REPLICAS: 2 }),
    (err: unknown) => isBusError(err) && err.code === 'REPUTE_BUS_CONFIG' && /KAFKA_MIN_INSYNC_REPLICAS \(2\) must not exceed KAFKA_REPLICATION_FACTOR \(1\)/.test(err.message),
  );
});
