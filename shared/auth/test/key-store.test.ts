import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { createKeyStore, hasScope, hashKey } from '../src/index.ts';

after(closeTestServices);

test('keys are stored hashed, verified, listed and revoked with a stream entry', async (t) => {
  const redis = new Redis(await testRedisUrl());
  t.after(() => redis.quit());
  const prefix = `${uniqueName('auth')}:`;
  const keys = createKeyStore(redis, { prefix });
  const { id, key } = await keys.create({ tenant: 'acme', scopes: ['lookup', 'ingest'], rateLimitPerMinute: 100 });
  assert.match(key, /^rpk_[0-9a-f]{16}_/);
  const stored = await redis.keys(`${prefix}auth:key:*`);
  assert.deepEqual(stored, [`${prefix}auth:key:${hashKey(key)}`]);
  assert.ok(!JSON.stringify(await redis.hgetall(stored[0]!)).includes(key), 'the key itself is never stored');
  const info = await keys.verify(key);
  assert.deepEqual({ ...info, createdAt: '' }, { id, tenant: 'acme', scopes: ['lookup', 'ingest'], rateLimitPerMinute: 100, createdAt: '' });
  assert.equal(await keys.verify(`${key.slice(0, -1)}x`), null);
  assert.equal(await keys.verify('garbage'), null);
  assert.equal((await keys.list()).length, 1);
  assert.equal(await keys.revoke(id), true);
  assert.equal(await keys.verify(key), null);
  const entries = await keys.updates.readUpdates('0-0', 10);
  assert.deepEqual(entries.map((e) => [e.op, e.keyId]), [['key', id], ['revoke', id]]);
});

test('admin implies every scope', () => {
  assert.equal(hasScope(['admin'], 'ingest'), true);
  assert.equal(hasScope(['lookup'], 'ingest'), false);
});
