import { type ActionOutcome, performAction as perform } from '../release/actions.js';
import { getStatus, listStatuses, type TenantStatus } from '../release/status.js';
import type { ReleaseDeps, StatusDeps } from '../release/types.js';
import { redactAddresses } from './redact.js';

// The API's operations: each calls the release service and shapes its answer. Refusals are the service's
// error classes; src/api/errors.ts gives them their HTTP status.

/** Every tenant's status, in configuration order. */
export async function listTenants(deps: StatusDeps, now: number): Promise<{ tenants: TenantStatus[] }> {
  return { tenants: redactAddresses(await listStatuses(deps, now)) };
}

/** One tenant's status (UnknownTenantError: 404). */
export async function getTenantStatus(
  deps: StatusDeps,
  tenantId: string,
  now: number,
): Promise<TenantStatus> {
  return redactAddresses(await getStatus(deps, tenantId, now));
}

/** A release-manager action by an authorised principal (the actor recorded in the audit trail). */
export function performAction(
  deps: ReleaseDeps,
  tenantId: string,
  action: string,
  input: { principal: string; reason?: string; force?: boolean },
  now: number,
): Promise<ActionOutcome> {
  return perform(
    deps,
    tenantId,
    {
      action,
      actor: input.principal,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.force ? { force: input.force } : {}),
    },
    now,
  );
}
