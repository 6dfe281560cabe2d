// A CLI failure: one line for the operator, exit status 1, never a stack trace.
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    /** Exit status: 1 for bad input, 2 for bad usage. */
    readonly status: 1 | 2 = 1,
  ) {
    super(message);
  }
}
