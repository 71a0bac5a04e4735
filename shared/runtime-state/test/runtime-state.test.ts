import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { clearRuntimeState, readRuntimeState, writeRuntimeState, type RuntimeState } from '../src/index.ts';

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'repute-runtime-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const state: RuntimeState = { url: 'http://127.0.0.1:8080', redisUrl: 'redis://127.0.0.1:6400', pid: 4242, startedAt: '2026-01-01T00:00:00.000Z' };

test('a written state reads back, in a data folder created on demand, and is gone once cleared', (t) => {
  const dir = join(dataDir(t), 'not-yet');
  assert.equal(readRuntimeState(dir), undefined);
  writeRuntimeState(dir, state);
  assert.deepEqual(readRuntimeState(dir), state);
  assert.deepEqual(readdirSync(dir), ['launcher.json'], 'no temporary file is left beside it');
  clearRuntimeState(dir);
  assert.equal(readRuntimeState(dir), undefined);
  clearRuntimeState(dir);
});

test('a state file that is not a launcher record reads as none', (t) => {
  const dir = dataDir(t);
  for (const text of ['', '{', 'null', '[]', '{"url":"http://x"}', '{"url":1,"redisUrl":"redis://x"}']) {
    writeFileSync(join(dir, 'launcher.json'), text);
    assert.equal(readRuntimeState(dir), undefined, JSON.stringify(text));
  }
});
