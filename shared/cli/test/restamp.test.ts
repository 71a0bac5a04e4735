import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restampLines } from '../src/restamp.ts';

test('restamping moves the latest event to a minute ago and keeps order, spacing and each time\'s form', () => {
  const now = Date.UTC(2027, 3, 1, 12, 0, 0);
  const lines = [
    JSON.stringify({ id: 'a', time: '2026-12-07T12:40:05Z', type: 'dns_resolve' }),
    '',
    'not json',
    JSON.stringify({ id: 'b', time: Date.UTC(2026, 11, 7, 12, 40, 9), type: 'file_seen' }),
    JSON.stringify({ id: 'c', type: 'file_seen' }),
  ];
  const out = restampLines(lines, now);
  assert.equal(out.length, lines.length);
  const a = JSON.parse(out[0]!) as { time: string };
  const b = JSON.parse(out[3]!) as { time: number };
  assert.equal(typeof a.time, 'string');
  assert.equal(b.time, now - 60_000);
  assert.equal(b.time - Date.parse(a.time), 4_000);
  // What is not an event with a time is left for ingest to judge.
  assert.deepEqual([out[1], out[2], out[4]], [lines[1], lines[2], lines[4]]);
  assert.deepEqual(restampLines(['{}', 'x'], now), ['{}', 'x']);
});
