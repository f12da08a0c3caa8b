import { SoakwatchError } from '../util/errors.js';

/** A table of API token hashes (environment or secret) that cannot be read; names the entry, never a value. */
export class TokenTableError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TokenTableError';
  }
}
