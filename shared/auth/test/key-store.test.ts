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

test('a key may be created trusted; the attribute is stored with it, verified and listed, false by default', async (t) => {
  const redis = new Redis(await testRedisUrl());
  t.after(() => redis.quit());
  const keys = createKeyStore(redis, { prefix: `${uniqueName('auth')}:` });
  const trusted = await keys.create({ tenant: 'operator', scopes: ['ingest'], trusted: true });
  const plain = await keys.create({ tenant: 'acme', scopes: ['ingest'] });
  const explicit = await keys.create({ tenant: 'acme', scopes: ['ingest'], trusted: false });
  assert.equal((await keys.verify(trusted.key))?.trusted, true);
  assert.equal((await keys.verify(plain.key))?.trusted, undefined);
  assert.equal((await keys.verify(explicit.key))?.trusted, undefined);
  const listed = new Map((await keys.list()).map((k) => [k.id, k.trusted === true]));
  assert.deepEqual(Object.fromEntries(listed), { [trusted.id]: true, [plain.id]: false, [explicit.id]: false });
});

test('admin implies every scope', () => {
  assert.equal(hasScope(['admin'], 'ingest'), true);
  assert.equal(hasScope(['lookup'], 'ingest'), false);
});
