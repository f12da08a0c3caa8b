import type { MismatchDescriptor } from '../../src/metrics/index.js';

/** A confirmed mismatch: a short-lived `session:*` key of db 2 missing on the target, with `over` changed. */
export function sessionKeyMissing(over: Partial<MismatchDescriptor> = {}): MismatchDescriptor {
  return {
    db: 2,
    pattern: 'session:*',
    kind: 'missing',
    legacyType: 'string',
    targetType: 'none',
    legacyTtl: 'lt60s',
    targetTtl: 'absent',
    ...over,
  };
}
