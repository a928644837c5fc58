/** A request that failed (server unreachable, token refused, the server said no): exit status 1. */
export class CliError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong (a flag's value, a missing argument): exit status 2. */
export class UsageError extends CliError {
  override readonly exitCode: number = 2;
  constructor(message: string) {
    super(message, 'usage');
    this.name = 'UsageError';
  }
}
