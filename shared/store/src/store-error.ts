/** An error of the store layer, with a stable `code` (`REPUTE_STORE_<REASON>`). */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: string;
  readonly status = 500;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}
