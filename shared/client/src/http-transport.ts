import { setTimeout as sleep } from 'node:timers/promises';
import { ReputeApiError, ReputeClientError, ReputeUnavailableError, type Problem } from './client-error.ts';
import { backoffMs, isRetriableStatus, parseRetryAfter, type RetryPolicy } from './retry-policy.ts';

/** A response the caller accepted (2xx or 304). */
export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** One request. */
export interface HttpRequest {
  method?: 'GET' | 'POST';
  /** A path under the base URL, with its query string. */
  path: string;
  /** Sent as JSON. */
  json?: unknown;
  headers?: Record<string, string>;
  /** Attempts for this request (the probe of offline mode uses 1). */
  attempts?: number;
}

/** Settings of {@link createTransport}. */
export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Aborted when the client closes: pending waits end at once. */
  signal: AbortSignal;
}

/** Sends requests to the service with retries, back-off and Retry-After. */
export interface Transport {
  send(request: HttpRequest): Promise<HttpResponse>;
}

/**
 * The client's signal joined with a per-request timeout, for the fetch and the body read.
 * `AbortSignal.any` came in Node 20.3; on earlier 20.x the two are joined by hand, the same
 * way: the timeout runs its course whatever the request did (an unref'd timer, which holds no
 * process open), and then drops the listener it put on the long-lived client signal.
 */
function requestSignal(client: AbortSignal, timeoutMs: number): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([client, AbortSignal.timeout(timeoutMs)]);
  const joined = new AbortController();
  const onClient = (): void => joined.abort(client.reason);
  if (client.aborted) return AbortSignal.abort(client.reason);
  client.addEventListener('abort', onClient, { once: true });
  setTimeout(() => {
    client.removeEventListener('abort', onClient);
    joined.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs).unref();
  return joined.signal;
}

/**
 * The HTTP side of the client. Network errors, timeouts, 429 and 502-504 are retried with
 * exponential back-off and full jitter; a Retry-After is honoured for every later request too
 * (the service asked this client, not this request, to wait), and one longer than
 * `retry.maxDelayMs` fails the call at once instead of blocking the caller.
 */
export function createTransport(options: TransportOptions): Transport {
  const base = options.baseUrl.replace(/\/+$/, '');
  const policy = options.retry;
  let blockedUntil = 0;

  async function wait(ms: number): Promise<void> {
    if (ms <= 0) return;
    try {
      await sleep(ms, undefined, { signal: options.signal });
    } catch (err) {
      throw new ReputeClientError('REPUTE_CLIENT_CLOSED', 'the client was closed', { cause: err });
    }
  }

  async function readProblem(res: Response): Promise<Problem | undefined> {
    try {
      const text = await res.text();
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Problem) : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    async send(request) {
      if (options.signal.aborted) throw new ReputeClientError('REPUTE_CLIENT_CLOSED', 'the client was closed');
      const attempts = Math.max(1, request.attempts ?? policy.attempts);
      const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}`, accept: 'application/json, application/octet-stream', ...request.headers };
      let body: string | undefined;
      if (request.json !== undefined) {
        body = JSON.stringify(request.json);
        headers['content-type'] = 'application/json';
      }
      let lastError: unknown;
      for (let attempt = 0; attempt < attempts; attempt++) {
        const blocked = blockedUntil - Date.now();
        if (blocked > policy.maxDelayMs) {
          throw new ReputeUnavailableError(`the service asked to wait ${Math.ceil(blocked / 1000)} s before the next request`, { cause: lastError, retryAfterMs: blocked });
        }
        await wait(blocked);
        let res: Response;
        try {
          res = await options.fetch(`${base}${request.path}`, {
            method: request.method ?? 'GET',
            headers,
            ...(body !== undefined ? { body } : {}),
            signal: requestSignal(options.signal, options.timeoutMs),
          });
        } catch (err) {
          if (options.signal.aborted) throw new ReputeClientError('REPUTE_CLIENT_CLOSED', 'the client was closed', { cause: err });
          lastError = err;
          if (attempt + 1 < attempts) await wait(backoffMs(policy, attempt));
          continue;
        }
        if ((res.status >= 200 && res.status < 300) || res.status === 304) {
          return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
        }
        const problem = await readProblem(res);
        const retryAfter = parseRetryAfter(res.headers.get('retry-after'), Date.now());
        const error = new ReputeApiError(res.status, problem, retryAfter);
        if (!isRetriableStatus(res.status, problem?.retriable === true)) throw error;
        if (retryAfter !== undefined) blockedUntil = Math.max(blockedUntil, Date.now() + retryAfter);
        lastError = error;
        if (attempt + 1 >= attempts || (retryAfter ?? 0) > policy.maxDelayMs) throw error;
        // The gate at the top of the loop waits out what is left of a Retry-After.
        await wait(backoffMs(policy, attempt));
      }
      if (lastError instanceof ReputeApiError) throw lastError;
      throw new ReputeUnavailableError(`the service at ${base} cannot be reached`, { cause: lastError });
    },
  };
}
