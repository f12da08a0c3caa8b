import { SoakwatchError } from '../util/errors.js';

/**
 * Base of the release operations' refusals. The class says what went wrong; how a caller shows it (an
 * HTTP status, an exit code) is the caller's business: src/api/errors.ts and src/cli/errors.ts map them.
 */
export class ReleaseError extends SoakwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReleaseError';
  }
}

/** One invalid field of a request: its path (`reason`, `actor`) and why. */
export interface InputIssue {
  path: string;
  message: string;
}

/** A request the service cannot take as given: every invalid field is listed. */
export class InvalidInputError extends ReleaseError {
  readonly issues: readonly InputIssue[];
  constructor(issues: readonly InputIssue[], options?: ErrorOptions) {
    super(issues.map((i) => `${i.path || 'input'}: ${i.message}`).join('; '), options);
    this.name = 'InvalidInputError';
    this.issues = issues;
  }
}

/** An action the tenant's state does not allow (the judge's rules); nothing was written. */
export class ActionRefusedError extends ReleaseError {
  readonly tenant: string;
  readonly action: string;
  /** The judge's reason, e.g. "approve is possible from PASSED only; the state is REPLICATING". */
  readonly reason: string;
  constructor(tenant: string, action: string, reason: string) {
    super(`${action} refused for tenant ${tenant}: ${reason}`);
    this.name = 'ActionRefusedError';
    this.tenant = tenant;
    this.action = action;
    this.reason = reason;
  }
}

/** The tenant's state changed (a tick, another action) while an action was applied; nothing was written. */
export class ConcurrentChangeError extends ReleaseError {
  readonly tenant: string;
  readonly action: string;
  constructor(tenant: string, action: string) {
    super(`tenant ${tenant} changed while ${action} was applied; try again`);
    this.name = 'ConcurrentChangeError';
    this.tenant = tenant;
    this.action = action;
  }
}

/** A full compare that finished but could not be recorded (the state store failed): its result is lost. */
export class CompareNotRecordedError extends ReleaseError {
  readonly tenant: string;
  constructor(tenant: string, what: { checked: number; mismatches: number }, options?: ErrorOptions) {
    super(
      `the full compare of ${tenant} finished (${what.checked} keys, ${what.mismatches} mismatches) but could not be recorded; run it again`,
      options,
    );
    this.name = 'CompareNotRecordedError';
    this.tenant = tenant;
  }
}

/** A replay asked of a time range in which the state store holds no sample of the tenant. */
export class NoHistoryError extends ReleaseError {
  readonly tenant: string;
  constructor(tenant: string) {
    super(`no stored samples for tenant ${tenant} in that range`);
    this.name = 'NoHistoryError';
    this.tenant = tenant;
  }
}

/** A restart of the state store that would throw away soaks (no loss is on record); nothing was written. */
export class StoreRestartRefusedError extends ReleaseError {
  readonly reason: string;
  constructor(reason: string) {
    super(`store restart refused: ${reason}`);
    this.name = 'StoreRestartRefusedError';
    this.reason = reason;
  }
}

/** A release operation that needs the legacy primary (the fence) could not reach it; nothing was changed there. */
export class LegacyUnreachableError extends ReleaseError {
  readonly tenant: string;
  constructor(tenant: string, detail: string, options?: ErrorOptions) {
    super(`the legacy primary of tenant ${tenant} could not be reached: ${detail}`, options);
    this.name = 'LegacyUnreachableError';
    this.tenant = tenant;
  }
}
