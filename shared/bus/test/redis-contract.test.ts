import { after } from 'node:test';
import { Redis } from 'ioredis';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { RedisBus, type Bus } from '../src/index.ts';
import { busContract } from './contract.ts';

after(() => closeTestServices());

busContract({
  name: 'redis',
  timeoutMs: 15_000,
  overlaps: 'batches',
  makeBus: async () => new RedisBus({ url: await testRedisUrl(), keyPrefix: `${uniqueName('bus')}:`, claimMinIdleMs: 300, blockMs: 200, log: silent() }),
  writeUndecodable: async (bus: Bus, topic: string) => {
    // Entries XADDed by hand, as an operator or another program could.
    const redis = new Redis(await testRedisUrl());
    try {
      const key = (bus as RedisBus).streamKey(topic);
      const value = JSON.stringify({ id: 'foreign' });
      await redis.xadd(key, '*', 'k', 'k1', 'v', value, 'h', 'not json');
      await redis.xadd(key, '*', 'k', 'k1', 'v', value, 'h', '["x-seq"]');
      await redis.xadd(key, '*', 'k', 'k1', 'v', value, 'h', '{"x-seq":1}');
      await redis.xadd(key, '*', 'event', value);
      await redis.xadd(key, '*', 'k', Buffer.from([0xff, 0xfe]), 'v', value);
    } finally {
      redis.disconnect();
    }
    return [/h \(headers\) field is not JSON/, /h \(headers\) field is not a JSON object/, /header "x-seq" is not a string/, /no v \(value\) field/, /k \(key\) field is not UTF-8/];
  },
});

function silent() {
  return { info() {}, warn() {}, error() {}, debug() {} };
}
