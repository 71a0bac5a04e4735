import { after } from 'node:test';
import { closeTestServices, testKafkaBrokers, uniqueName } from '@repute/infra/testkit';
import { KafkaBus } from '../src/index.ts';
import { busContract } from './contract.ts';

after(() => closeTestServices());

busContract({
  name: 'kafka',
  timeoutMs: 60_000,
  makeBus: async () => new KafkaBus({ brokers: await testKafkaBrokers(), clientId: uniqueName('contract'), partitions: 3, sessionTimeoutMs: 6_000, log: { info() {}, warn() {}, error() {}, debug() {} } }),
});
