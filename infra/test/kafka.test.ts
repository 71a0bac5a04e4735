import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { Kafka, logLevel, Partitioners, type KafkaMessage } from 'kafkajs';
import { startKafka } from '../src/kafka.ts';
import { closeTestServices, testKafkaBrokers, uniqueName } from '../src/testkit.ts';

after(closeTestServices);

/** Outside CI a machine without Java or Maven skips; in CI a broker that cannot start fails the run. */
async function orSkip<T>(t: TestContext, start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (err) {
    if (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false') throw err;
    t.skip(`Kafka could not start: ${(err as Error).message}`);
    return undefined;
  }
}

function client(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'infra-smoke', brokers, logLevel: logLevel.NOTHING });
}

async function produce(kafka: Kafka, topic: string, count: number): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Consumes with a fresh consumer group until `count` distinct messages arrived, then leaves the
 * group. Kafka delivers at least once: a rebalance while the group forms can redeliver a
 * message, so arrival counts alone could stop early on a duplicate.
 */
async function consume(kafka: Kafka, topic: string, count: number, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('smoke_group'), maxWaitTimeInMs: 100 });
  const received: KafkaMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const distinct = new Set<string>();
      const timer = setTimeout(() => reject(new Error(`received ${distinct.size} of ${count} distinct messages in ${timeoutMs} ms`)), timeoutMs);
      consumer.run({
        eachMessage: async ({ message }) => {
          const id = `${message.key?.toString()}=${message.value?.toString()}`;
          if (distinct.has(id)) return;
          distinct.add(id);
          received.push(message);
          if (distinct.size >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

function sortedValues(messages: KafkaMessage[]): string[] {
  return messages.map((m) => `${m.key?.toString()}=${m.value?.toString()}`).sort();
}

test('kafka smoke: produce, then consume in a consumer group on a fresh topic', async (t) => {
  const brokers = await orSkip(t, testKafkaBrokers);
  if (brokers === undefined) return;
  const kafka = client(brokers);
  const topic = uniqueName('smoke.events');
  const admin = kafka.admin();
  await admin.connect();
  t.after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true }), true);

  await produce(kafka, topic, 20);
  const received = await consume(kafka, topic, 20);
  assert.deepEqual(sortedValues(received), Array.from({ length: 20 }, (_, i) => `k${i}=v${i}`).sort());
});

test('kafka smoke: acknowledged messages survive a broker stop() and start()', async (t) => {
  const broker = await orSkip(t, () => startKafka());
  if (broker === undefined) return;
  t.after(() => broker.close());
  const topic = uniqueName('smoke.restart');
  // Auto-creation (num.partitions=4) is what a producer meets on a fresh broker.
  await produce(client(broker.brokers), topic, 10);

  await broker.stop();
  assert.equal(broker.running(), false);
  await broker.start();

  const received = await consume(client(broker.brokers), topic, 10);
  assert.deepEqual(sortedValues(received), Array.from({ length: 10 }, (_, i) => `k${i}=v${i}`).sort());
});
