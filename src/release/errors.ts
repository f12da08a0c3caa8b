import { SoakwatchError } from '../util/errors.js';

/** A release-manager request that cannot be done: unknown tenant (404) or an action the state refuses (409). */
export class ReleaseError extends SoakwatchError {
  readonly status: 400 | 404 | 409;
  constructor(message: string, status: 400 | 404 | 409, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReleaseError';
    this.status = status;
  }
}
