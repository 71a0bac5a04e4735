import { DLQ_HEADERS, type BusMessage, type OutgoingMessage, type RejectedMessage, type SubscribeOptions } from './types.ts';
import type { BusLogger } from './log.ts';
import type { Undecodable } from './undecodable.ts';

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

const deadLetterTopic = (options: SubscribeOptions): string => options.deadLetterTopic ?? `${options.topic}.dlq`;

/** A message as a dead letter: its own key, value and headers, and where, why and when it failed. */
function deadLetterOf(m: Pick<BusMessage, 'topic' | 'id' | 'key' | 'value' | 'headers'>, group: string, reason: string, attempts: number, failedAt: string): OutgoingMessage {
  return {
    key: m.key,
    value: m.value,
    headers: {
      ...m.headers,
      [DLQ_HEADERS.reason]: reason.slice(0, 1000),
      [DLQ_HEADERS.sourceTopic]: m.topic,
      [DLQ_HEADERS.sourceGroup]: group,
      [DLQ_HEADERS.sourceId]: m.id,
      [DLQ_HEADERS.attempts]: String(attempts),
      [DLQ_HEADERS.failedAt]: failedAt,
    },
  };
}

/**
 * Dead-letters what the bus could not decode, with the reason and the raw fields, so that the
 * caller can acknowledge it; rejects when the dead-letter topic does not take them (they then
 * stay unacknowledged and come again).
 */
export async function deadLetterUndecodable(entries: Undecodable[], options: SubscribeOptions, hooks: Pick<DeliveryHooks, 'deadLetter' | 'log'>): Promise<void> {
  if (entries.length === 0) return;
  const failedAt = String(Date.now());
  const dlq = deadLetterTopic(options);
  await hooks.deadLetter(dlq, entries.map((u) => {
    const letter = deadLetterOf({ ...u, headers: {} }, options.group, u.reason, 0, failedAt);
    letter.headers![DLQ_HEADERS.raw] = JSON.stringify(u.raw);
    return letter;
  }));
  for (const u of entries) hooks.log.error({ topic: options.topic, group: options.group, dlq, id: u.id, reason: u.reason }, 'undecodable message dead-lettered');
}

/**
 * Runs the handler on a batch, retrying with exponential back-off; after `maxAttempts` the
 * batch goes to the dead-letter topic with the reason, so one poison batch cannot stall the
 * group. Messages the handler returns as rejected go there alone, with their reasons, and the
 * rest counts as handled. The caller acknowledges unless the outcome is 'aborted'.
 */
export async function deliver(batch: BusMessage[], options: SubscribeOptions, hooks: DeliveryHooks): Promise<DeliveryOutcome> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const dlq = deadLetterTopic(options);
  let backoff = options.retryBackoffMs ?? 200;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (hooks.aborted()) return 'aborted';
    try {
      const rejected = await raceAbort(options.handler(batch), hooks.abortSignal);
      if (hooks.aborted()) return 'aborted';
      // Inside the attempt: when the dead-letter topic does not take them, the batch is tried
      // again (handlers tolerate that: delivery is at least once) rather than acknowledged.
      if (rejected !== undefined && rejected.length > 0) await deadLetterRejected(rejected, options, attempt, hooks);
      return 'handled';
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
  await hooks.deadLetter(dlq, batch.map((m) => deadLetterOf(m, options.group, reason, maxAttempts, failedAt)));
  hooks.log.error({ topic: options.topic, group: options.group, dlq, size: batch.length, reason }, 'batch dead-lettered');
  return 'dead-lettered';
}

async function deadLetterRejected(rejected: RejectedMessage[], options: SubscribeOptions, attempt: number, hooks: DeliveryHooks): Promise<void> {
  const failedAt = String(Date.now());
  const dlq = deadLetterTopic(options);
  await hooks.deadLetter(dlq, rejected.map((r) => deadLetterOf(r.message, options.group, r.reason, attempt, failedAt)));
  hooks.log.warn({ topic: options.topic, group: options.group, dlq, count: rejected.length, reason: rejected[0]!.reason.slice(0, 200) }, 'messages the handler rejected dead-lettered');
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

/** The handler's result, or undefined when the subscription was aborted first. */
async function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // The abandoned handler may still reject later; that must not become an unhandled rejection.
  work.catch(() => {});
  try {
    const result = await Promise.race([work, aborted]);
    return result === ABORTED ? undefined : result;
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
