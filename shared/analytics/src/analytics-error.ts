/** Failures of the analytics layer, with a stable `code` (`REPUTE_ANALYTICS_<REASON>`). */
export class AnalyticsError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AnalyticsError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}
