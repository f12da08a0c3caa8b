import { createError } from '@middy/util';
import {
  type ActionOutcome,
  findTenant,
  getStatus,
  listStatuses,
  performAction as perform,
  ReleaseError,
  type TenantStatus,
} from '../release/index.js';
import type { Runtime } from '../runtime/index.js';
import { renderStatusHtml } from './statusPage.js';

/** Release-manager errors become HTTP errors with their message shown; everything else stays a 500. */
async function http<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReleaseError) throw createError(error.status, error.message, { expose: true });
    throw error;
  }
}

/** Every tenant's status, in configuration order. */
export async function listTenants(rt: Runtime): Promise<{ tenants: TenantStatus[] }> {
  return { tenants: await listStatuses(rt.clients.store, rt.config.tenants, Date.now()) };
}

/** One tenant's status; 404 for a tenant the configuration does not name. */
export function getTenantStatus(rt: Runtime, tenantId: string): Promise<TenantStatus> {
  return http(() => getStatus(rt.clients.store, findTenant(rt.config.tenants, tenantId), Date.now()));
}

/** The HTML status page for release managers. */
export async function renderStatusPage(rt: Runtime): Promise<string> {
  const now = Date.now();
  return renderStatusHtml(await listStatuses(rt.clients.store, rt.config.tenants, now), now);
}

/** A release-manager action by an authorised principal (the actor recorded in the audit trail). */
export function performAction(
  rt: Runtime,
  tenantId: string,
  action: string,
  input: { principal: string; reason?: string; force?: boolean },
): Promise<ActionOutcome> {
  return http(() =>
    perform(
      rt.deps,
      findTenant(rt.config.tenants, tenantId),
      {
        action,
        actor: input.principal,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.force ? { force: input.force } : {}),
      },
      Date.now(),
    ),
  );
}
