import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis } from '../src/redis.ts';
import { closeTestServices, testRedisUrl, uniqueName } from '../src/testkit.ts';

after(closeTestServices);

/** Outside CI a machine without redis-server skips; in CI a service that cannot start fails the run. */
async function orSkip<T>(t: TestContext, start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (err) {
    if (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false') throw err;
    t.skip(`redis-server could not start: ${(err as Error).message}`);
    return undefined;
  }
}

test('redis smoke: SET and GET round trip through the test run\'s redis-server', async (t) => {
  const url = await orSkip(t, testRedisUrl);
  if (url === undefined) return;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const key = `${uniqueName('smoke')}:greeting`;
  t.after(async () => {
    await redis.del(key);
    await redis.quit();
  });
  await redis.connect();
  assert.equal(await redis.set(key, 'hello', 'EX', 60), 'OK');
  assert.equal(await redis.get(key), 'hello');
});

test('redis smoke: stop() and start() keep append-only data', async (t) => {
  const server = await orSkip(t, () => startRedis({ appendOnly: true }));
  if (server === undefined) return;
  t.after(() => server.close());
  const key = uniqueName('smoke_aof');

  const before = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await before.connect();
  await before.set(key, 'kept');
  await before.quit();

  await server.stop();
  assert.equal(server.running(), false);
  await server.start();
  assert.equal(server.running(), true);

  const afterRestart = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  t.after(() => afterRestart.quit());
  await afterRestart.connect();
  assert.equal(await afterRestart.get(key), 'kept');
});
