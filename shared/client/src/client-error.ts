/** Fields of an `application/problem+json` error answer (RFC 9457). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  retriable?: boolean;
  [field: string]: unknown;
}

/** Base class of the errors this client throws; `code` is stable (`REPUTE_<AREA>_<REASON>`). */
export class ReputeClientError extends Error {
  /** A stable code to branch on. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReputeClientError';
    this.code = code;
  }
}

/** The service answered with an error status (the problem document's code, such as `REPUTE_AUTH_FORBIDDEN`). */
export class ReputeApiError extends ReputeClientError {
  /** HTTP status. */
  readonly status: number;
  /** The problem document, when the service sent one. */
  readonly problem: Problem | undefined;
  /** How long the service asked the client to wait (Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, problem: Problem | undefined, retryAfterMs?: number) {
    const code = typeof problem?.code === 'string' ? problem.code : `REPUTE_CLIENT_HTTP_${status}`;
    super(code, `${status} ${problem?.title ?? 'HTTP error'}${problem?.detail !== undefined ? `: ${problem.detail}` : ''}`);
    this.name = 'ReputeApiError';
    this.status = status;
    this.problem = problem;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The service could not be reached or could not answer now: network errors, timeouts, 5xx and
 * 429 after the retries, or a Retry-After still running. `cause` holds the last failure.
 */
export class ReputeUnavailableError extends ReputeClientError {
  /** When known, how long until the service wants to be asked again, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super('REPUTE_CLIENT_UNAVAILABLE', message, { cause: options.cause });
    this.name = 'ReputeUnavailableError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The filters could not be verified. A snapshot was rejected: `REPUTE_CLIENT_SNAPSHOT_INVALID`
 * (not a snapshot, or another kind), `..._CORRUPT` (bits do not match their hash),
 * `..._SIGNATURE` (not signed by the key), `..._ROLLBACK` (older than the filter already held);
 * the previous filter stays in use. Or the signing key is unusable:
 * `REPUTE_CLIENT_PUBLIC_KEY_INVALID` (not an Ed25519 public key in an accepted form), thrown by
 * `createClient` for a pinned key and by `syncFilters` for one the service returned.
 */
export class FilterVerificationError extends ReputeClientError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'FilterVerificationError';
  }
}

/** Guard: the failure means "service away or refusing for now", which offline mode absorbs. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ReputeUnavailableError) return true;
  return err instanceof ReputeApiError && (err.status === 429 || err.status >= 500);
}
