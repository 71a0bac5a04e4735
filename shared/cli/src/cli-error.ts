/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3 } as const;

/** An error the CLI reports in one line and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A wrong invocation (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
