import { SoakwatchError } from '../util/errors.js';

/** An AWS API (CloudWatch, ElastiCache) could not be read or changed. */
export class AwsError extends SoakwatchError {
  /** The AWS operation that failed, e.g. `GetMetricData`. */
  readonly operation: string;

  constructor(message: string, operation: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsError';
    this.operation = operation;
  }
}
