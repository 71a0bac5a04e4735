import { after, test } from 'node:test';
import { startKafka, waitFor } from '@repute/infra';
import { closeTestServices, testKafkaBrokers, uniqueName } from '@repute/infra/testkit';
import { KafkaBus } from '../src/index.ts';
import { runLossScenario } from './loss.ts';

after(() => closeTestServices());

const silent = process.env['BUS_TEST_DEBUG'] === '1' ? { info() {}, warn: (o: object, m?: string) => console.error('WARN', m), error: (o: object, m?: string) => console.error('ERR', m), debug() {} } : { info() {}, warn() {}, error() {}, debug() {} };

test('loss: a consumer killed mid-batch on the shared broker; every accepted message is consumed', async (t) => {
  const bus = new KafkaBus({ brokers: await testKafkaBrokers(), clientId: uniqueName('loss'), partitions: 3, sessionTimeoutMs: 6_000, log: silent });
  t.after(() => bus.close());
  await runLossScenario(t, bus, { total: 3_000, timeoutMs: 60_000 });
});

test('loss: consumer killed mid-batch and the broker restarted while publishing; every accepted message is consumed', async (t) => {
  const broker = await startKafka();
  const bus = new KafkaBus({ brokers: broker.brokers, clientId: uniqueName('restart'), partitions: 3, sessionTimeoutMs: 6_000, publishTimeoutMs: 3_000, log: silent });
  t.after(async () => {
    await bus.close();
    await broker.close();
  });
  await runLossScenario(t, bus, {
    total: 3_000,
    timeoutMs: 120_000,
    disrupt: async (progress) => {
      await broker.stop();
      progress.down();
      await waitFor('a publish failing during the outage', async () => (progress.publishFailures() > 0 ? true : undefined), 30_000);
      await broker.start();
    },
  });
});
