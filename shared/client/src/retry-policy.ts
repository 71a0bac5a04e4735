/** Resolved retry settings. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Back-off before retry number `retry` (0 for the first): exponential with full jitter, so many
 * agents that failed together do not come back together.
 */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * cap);
}

/** A Retry-After header (delay-seconds or an HTTP date, RFC 9110 §10.2.3) in ms, or undefined. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Statuses worth another attempt: rate limited, or the service (or a proxy before it) is away. */
export function isRetriableStatus(status: number, problemSaysRetriable: boolean): boolean {
  if (status === 429 || status === 502 || status === 503 || status === 504) return true;
  return status >= 500 && problemSaysRetriable;
}
