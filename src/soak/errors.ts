import { SoakwatchError } from '../util/errors.js';

/** Base error of the judge. */
export class SoakError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SoakError';
  }
}

/** The judge was handed input it cannot use; `field` names the offending part. */
export class JudgeInputError extends SoakError {
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`invalid judge input: ${field} ${message}`, options);
    this.name = 'JudgeInputError';
    this.field = field;
  }
}
