import { SoakwatchError } from '../../src/util/errors.js';

/** A local redis-server / Sentinel topology could not be started, driven or stopped. */
export class LocalRedisError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalRedisError';
  }
}

/** A local node did not start: carries the tail of its log so the reason is visible. */
export class LocalRedisStartError extends LocalRedisError {
  readonly logTail: string;
  constructor(message: string, logTail: string, options?: ErrorOptions) {
    super(logTail ? `${message}\n--- log tail ---\n${logTail}` : message, options);
    this.name = 'LocalRedisStartError';
    this.logTail = logTail;
  }
}
