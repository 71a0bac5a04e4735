import type { IndicatorKind } from './indicator-kind.ts';

const ECHO_LIMIT = 100;
const KEEP_LIMIT = 2048;

/** Options for an {@link IndicatorError}. */
export interface IndicatorErrorOptions {
  kind?: IndicatorKind;
  cause?: unknown;
}

/**
 * The only error the parsers and canonicalisers throw: the input cannot be an indicator of
 * the requested kind. `code` is stable (`REPUTE_INDICATOR_<REASON>`); `input` is the raw input
 * (cut to 2 KiB so an error never pins a huge string).
 */
export class IndicatorError extends Error {
  override readonly name = 'IndicatorError';
  readonly code: string;
  readonly kind?: IndicatorKind;
  readonly input: string;
  readonly status = 400;
  readonly title = 'Invalid indicator';
  readonly retriable = false;

  constructor(code: string, problem: string, input: string, options: IndicatorErrorOptions = {}) {
    super(`${problem}: ${echo(input)}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.kind !== undefined) this.kind = options.kind;
    this.input = input.length > KEEP_LIMIT ? input.slice(0, KEEP_LIMIT) : input;
  }
}

/** Guard for {@link IndicatorError}. */
export function isIndicatorError(error: unknown): error is IndicatorError {
  return error instanceof IndicatorError;
}

// JSON.stringify quotes the input and escapes control characters, so a hostile input cannot
// forge log lines or hide in the message.
function echo(input: string): string {
  const cut = input.length > ECHO_LIMIT ? `${input.slice(0, ECHO_LIMIT)}…` : input;
  return JSON.stringify(cut) + (input.length > ECHO_LIMIT ? ` (${input.length} characters)` : '');
}
