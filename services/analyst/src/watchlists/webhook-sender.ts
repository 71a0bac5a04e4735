import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature.ts';
import { postToTarget, RefusedTargetError } from './webhook-target.ts';

export interface WebhookSenderOptions {
  maxAttempts: number;
  baseDelayMs: number;
  timeoutMs: number;
  maxPending: number;
  /** Deliver to loopback and private addresses too (tests, single-machine setups). */
  allowPrivate?: boolean;
  onOutcome?: (outcome: 'delivered' | 'failed' | 'dropped' | 'refused', attempts: number) => void;
}

export interface WebhookSender {
  send(target: { url: string; secret: string }, body: string): void;
  readonly pending: number;
  close(): Promise<void>;
}

const MAX_DELAY_MS = 60_000;

/**
 * Posts signed webhooks to public addresses only (see webhook-target.ts), retrying a failure (network error, timeout, 408/429/5xx) with
 * exponential back-off and full jitter, a bounded number of times; 4xx other than those means
 * the receiver refuses and is not retried. Deliveries in flight are bounded; past the bound new
 * ones are dropped (counted) rather than letting a dead receiver grow the heap.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  let pending = 0;
  let closed = false;
  const controller = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const wait = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    controller.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

  async function deliver(target: { url: string; secret: string }, body: string): Promise<void> {
    for (let attempt = 1; attempt <= options.maxAttempts && !closed; attempt++) {
      // Signed per attempt: a receiver's freshness window counts from the attempt, not the event.
      const timestamp = String(Math.floor(Date.now() / 1000));
      let retriable = true;
      try {
        // Resolved at delivery and connected to the address checked; a redirect is an answer,
        // never followed (it could point anywhere).
        const res = await postToTarget(target.url, body, {
          'content-type': 'application/json', 'user-agent': 'repute-webhook/1', [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body),
        }, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(options.timeoutMs)]), allowPrivate: options.allowPrivate === true });
        if (res.status >= 200 && res.status < 300) {
          options.onOutcome?.('delivered', attempt);
          return;
        }
        retriable = res.status === 408 || res.status === 429 || res.status >= 500;
      } catch (err) {
        if (err instanceof RefusedTargetError) {
          // A name that resolves to a private address now may not later; nothing is sent to it.
          options.onOutcome?.('refused', attempt);
          return;
        }
        retriable = true;
      }
      if (!retriable || attempt === options.maxAttempts) break;
      const ceiling = Math.min(MAX_DELAY_MS, options.baseDelayMs * 2 ** (attempt - 1));
      await wait(ceiling / 2 + Math.random() * (ceiling / 2));
    }
    options.onOutcome?.('failed', options.maxAttempts);
  }

  return {
    send(target, body) {
      if (closed || pending >= options.maxPending) {
        options.onOutcome?.('dropped', 0);
        return;
      }
      pending++;
      const job = deliver(target, body).finally(() => {
        pending--;
        inFlight.delete(job);
      });
      inFlight.add(job);
    },
    get pending() { return pending; },
    async close() {
      closed = true;
      controller.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}
