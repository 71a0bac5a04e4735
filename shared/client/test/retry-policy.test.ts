import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, isRetriableStatus, parseRetryAfter } from '../src/retry-policy.ts';

test('Retry-After in seconds or as an HTTP date', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

test('back-off doubles per retry up to the cap, with full jitter', () => {
  const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.deepEqual([0, 1, 2, 3, 4, 40].map((r) => backoffMs(policy, r, () => 0.999_999)), [99, 199, 399, 799, 999, 999]);
  assert.equal(backoffMs(policy, 3, () => 0), 0);
});

test('only 429, 502-504 and retriable 5xx are retried', () => {
  assert.deepEqual([400, 401, 403, 404, 410, 429, 500, 502, 503, 504].filter((s) => isRetriableStatus(s, false)), [429, 502, 503, 504]);
  assert.equal(isRetriableStatus(500, true), true);
  assert.equal(isRetriableStatus(400, true), false);
});
