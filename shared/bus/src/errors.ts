/** Typed bus failure; `retriable` says whether trying again later may succeed. */
export class BusError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  constructor(code: 'REPUTE_BUS_UNAVAILABLE' | 'REPUTE_BUS_PUBLISH_FAILED' | 'REPUTE_BUS_CLOSED' | 'REPUTE_BUS_CONFIG', message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BusError';
    this.code = code;
    this.retriable = options.retriable ?? true;
  }
}

export function isBusError(err: unknown): err is BusError {
  return err instanceof BusError;
}
