import { SoakwatchError } from '../util/errors.js';

/** A sample could not be taken at all (e.g. the tenant's secrets could not be resolved). */
export class SampleError extends SoakwatchError {
  readonly tenant: string;
  /** The node or endpoint concerned, when there is one (never a password). */
  readonly address?: string;
  constructor(tenant: string, message: string, options?: ErrorOptions & { address?: string }) {
    super(`tenant ${tenant}: ${message}`, options);
    this.name = 'SampleError';
    this.tenant = tenant;
    if (options?.address) this.address = options.address;
  }
}
