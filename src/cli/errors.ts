import { SoakwatchError } from '../util/errors.js';

/** A command-line usage or input error: printed as one line, exit code 2. */
export class UsageError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
