import { SoakwatchError } from '../util/errors.js';
import type { TickReport } from './types.js';

/** The state store failed during a tick: nothing it judged may be trusted; the report says what ran. */
export class TickError extends SoakwatchError {
  readonly report: TickReport;
  constructor(message: string, report: TickReport, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TickError';
    this.report = report;
  }
}

/** A tenant id the configuration does not name (a tick, status or action asked for it). */
export class UnknownTenantError extends SoakwatchError {
  readonly tenant: string;
  constructor(tenant: string) {
    super(`unknown tenant "${tenant}"`);
    this.name = 'UnknownTenantError';
    this.tenant = tenant;
  }
}
