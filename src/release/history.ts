import type { JudgeSample, SoakEvent } from '../soak/index.js';
import type { AuditEntry } from '../store/index.js';
import { findTenant } from '../tick/tenants.js';
import { NoHistoryError } from './errors.js';
import type { StatusDeps } from './types.js';

/** What the judge read of a tenant over a time range, for a replay under another policy. */
export interface TenantHistory {
  tenant: string;
  samples: JudgeSample[];
  events: SoakEvent[];
  /** The audit trail (newest 10,000 entries), whose release-manager actions the replay repeats. */
  audit: AuditEntry[];
}

/** A tenant's stored history between `from` and `to`; NoHistoryError when no sample is stored there. */
export async function loadHistory(
  deps: StatusDeps,
  tenantId: string,
  from: number,
  to: number,
): Promise<TenantHistory> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const [samples, events, audit] = await Promise.all([
    deps.store.history<JudgeSample>(tenant.id, from, to),
    deps.store.events<SoakEvent>(tenant.id, from, to),
    deps.store.auditTrail(tenant.id, 10_000),
  ]);
  if (samples.length === 0) throw new NoHistoryError(tenant.id);
  return { tenant: tenant.id, samples, events, audit };
}
