import { SoakwatchError } from '../util/errors.js';

/** Base of every error of the Redis connection layer. */
export class RedisError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedisError';
  }
}

/** A node could not be reached, authenticated or read. `address` is host:port, never a password. */
export class RedisConnectionError extends RedisError {
  readonly address: string;
  constructor(address: string, message: string, options?: ErrorOptions) {
    super(`${address}: ${message}`, options);
    this.name = 'RedisConnectionError';
    this.address = address;
  }
}

/** A sample's time budget ran out before the work named in the message was done. */
export class BudgetExhaustedError extends RedisError {
  constructor(what: string) {
    super(`${what}: no time left in the sample budget`);
    this.name = 'BudgetExhaustedError';
  }
}

/** A secret reference (env variable, Secrets Manager secret) could not be resolved. */
export class SecretResolutionError extends RedisError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretResolutionError';
  }
}

/** The reason of a failure in a few words, safe for a sample (no password can be in it). */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const base = error.message.replace(/\/\/[^@/\s]*@/g, '//***@');
    return typeof code === 'string' && !base.includes(code) ? `${code}: ${base}` : base;
  }
  return String(error);
}
