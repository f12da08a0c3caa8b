import { SoakwatchError } from '../util/errors.js';

/** An alert could not be delivered. */
export class AlertError extends SoakwatchError {
  readonly topicArn: string;

  constructor(message: string, topicArn: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AlertError';
    this.topicArn = topicArn;
  }
}
