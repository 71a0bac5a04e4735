import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSorter } from '../src/ingest/sorter.ts';
import type { SortInput } from '../src/ingest/sort-request.ts';

const input = (body: string): SortInput => ({
  bytes: Buffer.from(body), format: 'json', encoding: undefined, limits: { maxDecompressedBytes: 1 << 20, maxEvents: 10 },
  tenant: 't', receivedAt: Date.now(), validation: {}, trusted: false,
});

test('a sorting thread that dies fails only the requests it held, and another takes its place', async () => {
  const warnings: string[] = [];
  const sorter = createSorter(1, { warn: (_obj, msg) => warnings.push(msg) }, new URL('./fixtures/dying-sort-thread.ts', import.meta.url));
  try {
    assert.equal((await sorter.sort(input('ok'))).answer, '{}');
    await assert.rejects(sorter.sort(input('die')), /exited with code 3/);
    assert.deepEqual(warnings, ['telemetry sorting thread stopped; starting another']);
    // The replacement answers, and goes on answering.
    for (let i = 0; i < 3; i++) assert.equal((await sorter.sort(input('ok'))).accepted, 0);
  } finally {
    await sorter.close();
  }
});

test('a body the thread refuses comes back as the same problem the event loop would give', async () => {
  const sorter = createSorter(1, { warn: () => {} });
  try {
    await assert.rejects(sorter.sort(input('[{"id": ')), (err: Error & { status?: number; code?: string }) => err.status === 400 && err.code === 'REPUTE_INGEST_INVALID_JSON');
    const sorted = await sorter.sort(input(JSON.stringify([{ id: 'e1', sensor: 's', host: 'h', time: Date.now(), type: 'file_seen', file: { sha256: 'a'.repeat(64) } }])));
    assert.equal(sorted.accepted, 1);
    assert.equal(sorted.messages.length, 1);
    assert.equal(sorted.messages[0]!.key, 'a'.repeat(64));
    assert.match(String(sorted.messages[0]!.value), /^\{"v":1,"tenant":"t",/);
    assert.deepEqual(JSON.parse(sorted.answer), { accepted: 1, rejected: 0, acceptedIds: ['e1'], rejections: [] });
  } finally {
    await sorter.close();
  }
});
