import { CommanderError } from 'commander';
import { ConfigError } from '../config/errors.js';
import { ActionRefusedError, ConcurrentChangeError, StoreRestartRefusedError } from '../release/errors.js';
import { SoakwatchError } from '../util/errors.js';
import { redactUrl } from '../util/redact.js';

/** A command-line usage or input error: printed as one line, exit code 2. */
export class UsageError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/**
 * Exit codes: 0 ok/consistent, 1 inconsistent / refused / a tenant failed, 2 usage or connection error.
 * The one map from errors to exit codes: an action the state refuses (or that raced a change) is 1, the
 * command worked and said no; everything else that ends a command (an unknown tenant, bad input, a
 * configuration or store that cannot be read, a command line commander refused) is 2; --help and
 * --version end as a CommanderError with code 0.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (
    error instanceof ActionRefusedError ||
    error instanceof ConcurrentChangeError ||
    error instanceof StoreRestartRefusedError
  )
    return 1;
  return 2;
}

/** An error as one line for stderr: its message and its cause's, without a URL's password. */
export function oneLine(error: unknown): string {
  if (error instanceof ConfigError) return error.message; // already lists every invalid path
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return redactUrl(`${message}${cause}`).split('\n')[0] ?? '';
}
