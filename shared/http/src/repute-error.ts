export interface ReputeErrorOptions {
  code: string;
  status: number;
  title: string;
  detail?: string;
  retriable?: boolean;
  cause?: unknown;
  /** Extra members of the problem document (RFC 9457 extensions), e.g. `errors` or `item`. */
  extra?: Record<string, unknown>;
  /** Response headers that go with the problem, e.g. Retry-After. */
  headers?: Record<string, string>;
}

/**
 * An error with a stable code (`REPUTE_<AREA>_<REASON>`) that the problem handler turns into
 * application/problem+json. Anything thrown that is not a ReputeError is a 500 whose details
 * stay in the log.
 */
export class ReputeError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly retriable: boolean;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(options: ReputeErrorOptions) {
    super(options.detail ?? options.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReputeError';
    this.code = options.code;
    this.status = options.status;
    this.title = options.title;
    this.detail = options.detail;
    this.retriable = options.retriable ?? false;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

/** The stable problem `type` URI for an error code: `urn:repute:problem:<area>-<reason>`. */
export function problemType(code: string): string {
  return `urn:repute:problem:${code.replace(/^REPUTE_/, '').toLowerCase().replace(/_/g, '-')}`;
}
