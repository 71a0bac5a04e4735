import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineBuffer } from '../src/sink/line-buffer.ts';

test('lines written into a growing buffer read back as the lines, each ending in a newline, whatever their characters', () => {
  const lines = Array.from({ length: 2_000 }, (_, i) => JSON.stringify([`e${i}`, 'ünïcode ✓ 𝄞'.repeat(i % 7), 'x'.repeat(i % 300), i]));
  const buffer = new LineBuffer(16);
  for (const line of lines) buffer.push(line);
  assert.equal(buffer.lines, lines.length);
  assert.equal(buffer.bytes().toString('utf8'), `${lines.join('\n')}\n`);
  assert.equal(buffer.bytes().length, Buffer.byteLength(`${lines.join('\n')}\n`));
  const empty = new LineBuffer();
  assert.deepEqual([empty.lines, empty.bytes().length], [0, 0]);
});
