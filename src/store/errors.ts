import { SoakwatchError } from '../util/errors.js';

/** What a StoreError was doing, for logs and metrics (the message says it in words). */
export interface StoreErrorContext {
  operation: string;
  tenant?: string;
}

/**
 * A state-store failure: the Redis error (connection refused, timeout, reply error) stays
 * reachable as `cause`; the message says in plain words what could not be done, for which tenant.
 */
export class StoreError extends SoakwatchError {
  readonly operation: string;
  readonly tenant: string | undefined;

  constructor(message: string, context: StoreErrorContext, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
    this.operation = context.operation;
    this.tenant = context.tenant;
  }
}
