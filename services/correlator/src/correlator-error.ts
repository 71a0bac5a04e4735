/** Failures of the correlator with a stable `code` (`REPUTE_CORRELATOR_<REASON>`). */
export class CorrelatorError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CorrelatorError';
    this.code = code;
  }
}
