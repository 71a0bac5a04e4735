import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRedisPort, writeRedisPort } from '../src/index.ts';

test('the recorded redis port reads back; anything but a TCP port reads as none', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repute-redis-port-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(readRedisPort(dir), undefined);
  writeRedisPort(dir, 6401);
  assert.equal(readRedisPort(dir), 6401);
  mkdirSync(join(dir, 'redis'), { recursive: true });
  for (const text of ['', 'abc', '0', '65536', '-1', '12.5']) {
    writeFileSync(join(dir, 'redis', 'port'), `${text}\n`);
    assert.equal(readRedisPort(dir), undefined, JSON.stringify(text));
  }
});
