import { DLQ_HEADERS, type BusMessage, type OutgoingMessage, type SubscribeOptions } from './types.ts';
import type { BusLogger } from './log.ts';

const MAX_BACKOFF_MS = 30_000;

export interface DeliveryHooks {
  /** Waits `ms`, resolving early (to false) when the subscription stops; may heartbeat. */
  wait(ms: number): Promise<boolean>;
  /** True once the subscription was aborted: the batch must then not be acknowledged. */
  aborted(): boolean;
  /** Fires on abort, so a handler stuck mid-batch does not hold the crash back. */
  abortSignal: AbortSignal;
  /** Publishes dead letters. */
  deadLetter(topic: string, messages: OutgoingMessage[]): Promise<void>;
  log: BusLogger;
}

export type DeliveryOutcome = 'handled' | 'dead-lettered' | 'aborted';

function reasonOf(err: unknown): string {
  const text = err instanceof Error ? `${(err as { code?: unknown }).code ?? err.name}: ${err.message}` : String(err);
  return text.slice(0, 1000);
}

/**
 * Runs the handler on a batch, retrying with exponential back-off; after `maxAttempts` the
 * batch goes to the dead-letter topic with the reason, so one poison batch cannot stall the
 * group. The caller acknowledges unless the outcome is 'aborted'.
 */
export async function deliver(batch: BusMessage[], options: SubscribeOptions, hooks: DeliveryHooks): Promise<DeliveryOutcome> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  let backoff = options.retryBackoffMs ?? 200;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (hooks.aborted()) return 'aborted';
    try {
      await raceAbort(options.handler(batch), hooks.abortSignal);
      return hooks.aborted() ? 'aborted' : 'handled';
    } catch (err) {
      lastError = err;
      if (hooks.aborted()) return 'aborted';
      hooks.log.warn({ err, topic: options.topic, group: options.group, attempt, size: batch.length }, 'bus handler failed');
      if (attempt < maxAttempts) {
        if (!(await hooks.wait(backoff))) return 'aborted';
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }
  const reason = reasonOf(lastError);
  const failedAt = String(Date.now());
  const dlq = options.deadLetterTopic ?? `${options.topic}.dlq`;
  await hooks.deadLetter(
    dlq,
    batch.map((m) => ({
      key: m.key,
      value: m.value,
      headers: {
        ...m.headers,
        [DLQ_HEADERS.reason]: reason,
        [DLQ_HEADERS.sourceTopic]: m.topic,
        [DLQ_HEADERS.sourceGroup]: options.group,
        [DLQ_HEADERS.sourceId]: m.id,
        [DLQ_HEADERS.attempts]: String(maxAttempts),
        [DLQ_HEADERS.failedAt]: failedAt,
      },
    })),
  );
  hooks.log.error({ topic: options.topic, group: options.group, dlq, size: batch.length, reason }, 'batch dead-lettered');
  return 'dead-lettered';
}

/** A wait that ends early when `signal` aborts; resolves to whether it ran its full course. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const ABORTED = Symbol('aborted');

async function raceAbort(work: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // The abandoned handler may still reject later; that must not become an unhandled rejection.
  work.catch(() => {});
  try {
    await Promise.race([work, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
