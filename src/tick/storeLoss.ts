import type { AlertInput } from '../alerts/index.js';
import type { TenantConfig } from '../config/index.js';
import type { StoreEpochDoc } from '../store/index.js';

/** The id under which a lost state store fires on the alert topic (criterion ids have no `:`). */
export const STORE_LOST_ALERT_ID = 'watcher:store-lost';

/**
 * The alert input of a tick refused because the state store lost everything: nothing is known of the
 * tenant's soak any more (its state, clock, approvals are gone), so the state is UNKNOWN, never a
 * fresh REPLICATING, and the loss fires critical until an operator restarts the store deliberately.
 */
export function storeLostAlertInput(
  tenant: TenantConfig,
  lost: StoreEpochDoc & { status: 'lost' },
  now: number,
): AlertInput {
  return {
    tenant: tenant.id,
    now,
    state: 'UNKNOWN',
    firing: [
      {
        id: STORE_LOST_ALERT_ID,
        metric: 'stateStoreLost',
        severity: 'critical',
        value: 1,
        threshold: 0,
        op: '>',
        since: lost.detectedAt,
        detail: `${lost.reason}; detected at ${new Date(lost.detectedAt).toISOString()}. Restore the store from its backup, or restart it deliberately (every soak starts over)`,
      },
    ],
    transitions: [],
    coverage: null,
    remainingMs: null,
  };
}
