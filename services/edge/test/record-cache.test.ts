import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordCache } from '../src/lookup/record-cache.ts';

const options = { maxEntries: 100, maxBytes: 1 << 20, ttlMs: 60_000 };

test('a read that began before the stream announced a change does not fill the cache', () => {
  const cache = new RecordCache(options);
  const epoch = cache.beginRead();
  cache.delete('rep:file:aa'); // the update stream: the record changed while the read was under way
  assert.equal(cache.setFromRead('rep:file:aa', null, 0, epoch), false);
  assert.equal(cache.setFromRead('rep:file:bb', null, 0, epoch), true, 'other keys of the same read are cached');
  cache.endRead();
  assert.equal(cache.get('rep:file:aa'), undefined);
  assert.equal(cache.get('rep:file:bb'), null);
});

test('a read that began after the change caches normally, and a clear invalidates every read under way', () => {
  const cache = new RecordCache(options);
  cache.delete('rep:file:aa');
  const after = cache.beginRead();
  assert.equal(cache.setFromRead('rep:file:aa', 'cafe', 4, after), true);
  cache.endRead();
  const before = cache.beginRead();
  cache.clear();
  assert.equal(cache.setFromRead('rep:file:cc', null, 0, before), false);
  cache.endRead();
  assert.equal(cache.get('rep:file:cc'), undefined);
});
