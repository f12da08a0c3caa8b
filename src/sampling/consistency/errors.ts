import { SoakwatchError } from '../../util/errors.js';

/** Base of every consistency-check failure (spot-check, digest, heartbeat, prefix counts, full compare). */
export class ConsistencyError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConsistencyError';
  }
}

/** A digest script call failed on one node; `address` names the node (never a password). */
export class DigestError extends ConsistencyError {
  readonly address: string;
  constructor(message: string, address: string, options?: ErrorOptions) {
    super(`${message} (node ${address})`, options);
    this.name = 'DigestError';
    this.address = address;
  }
}

/** An input option is invalid; `field` names it. */
export class ConsistencyInputError extends ConsistencyError {
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`${field}: ${message}`, options);
    this.name = 'ConsistencyInputError';
    this.field = field;
  }
}
