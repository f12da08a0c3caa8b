import { SoakwatchError } from '../util/errors.js';

/** A remediation hook could not run its action. */
export class HookError extends SoakwatchError {
  readonly hookId: string;

  constructor(message: string, hookId: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HookError';
    this.hookId = hookId;
  }
}
