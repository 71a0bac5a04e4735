/** Failures of the verdict model with a stable `code` (`REPUTE_VERDICTS_<REASON>`). */
export class VerdictsError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VerdictsError';
    this.code = code;
  }
}
