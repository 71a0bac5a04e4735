import { after } from 'node:test';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { RedisBus } from '../src/index.ts';
import { busContract } from './contract.ts';

after(() => closeTestServices());

busContract({
  name: 'redis',
  timeoutMs: 15_000,
  overlaps: 'batches',
  makeBus: async () => new RedisBus({ url: await testRedisUrl(), keyPrefix: `${uniqueName('bus')}:`, claimMinIdleMs: 300, blockMs: 200, log: silent() }),
});

function silent() {
  return { info() {}, warn() {}, error() {}, debug() {} };
}
