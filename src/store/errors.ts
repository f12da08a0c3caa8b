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

/**
 * The state store was found emptied (flushed, or replaced by an empty one) after this process saw it
 * hold soakwatch's state. Every tick fails with it, and on-call is told, until an operator restarts
 * deliberately (`restartAfterLoss`): a silent fresh start would restart every tenant's soak from zero.
 */
export class StoreLostError extends StoreError {
  readonly detectedAt: number;
  /** Why the store counts as lost, as recorded in it (without the advice the message adds). */
  readonly reason: string;
  constructor(detail: { reason: string; detectedAt: number; tenant?: string }) {
    super(
      `${detail.reason}; every tenant's soak state is gone, so nothing is judged until an operator restarts the store deliberately`,
      { operation: 'checkEpoch', ...(detail.tenant ? { tenant: detail.tenant } : {}) },
    );
    this.name = 'StoreLostError';
    this.detectedAt = detail.detectedAt;
    this.reason = detail.reason;
  }
}
