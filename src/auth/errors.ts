import { SoakwatchError } from '../util/errors.js';

/** A table of API token hashes (environment or secret) that cannot be read; names the entry, never a value. */
export class TokenTableError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TokenTableError';
  }
}

/** A request without an authenticated principal (401), or whose principal may not do this (403). */
export class AuthError extends SoakwatchError {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}
