import type { TenantConfig } from '../config/index.js';
import type { Sample } from '../sampling/types.js';
import { initialSoakState, type SoakState, type Verdict, verdictOf } from '../soak/index.js';
import type { AuditEntry, StateStore } from '../store/index.js';
import { ReleaseError } from './errors.js';

/** A tenant's soak status as release managers read it (API, CLI, status page). */
export interface TenantStatus extends Verdict {
  /** False until the first tick judged this tenant (the status then is the initial state, nothing measured). */
  judged: boolean;
  version: number;
  lastSample: { at: number; durationMs: number; complete: boolean; failedNodes: string[] } | null;
  audit: AuditEntry[];
}

export function findTenant(tenants: TenantConfig[], id: string): TenantConfig {
  const tenant = tenants.find((t) => t.id === id);
  if (!tenant) throw new ReleaseError(`unknown tenant "${id}"`, 404);
  return tenant;
}

/** The stored status of one tenant, evaluated at `now`. */
export async function getStatus(
  store: StateStore,
  tenant: TenantConfig,
  now: number,
  opts: { auditLimit?: number } = {},
): Promise<TenantStatus> {
  const [stored, last, audit] = await Promise.all([
    store.getState<SoakState>(tenant.id),
    store.latestSample<Sample>(tenant.id),
    store.auditTrail(tenant.id, opts.auditLimit ?? 20),
  ]);
  const state = stored?.state ?? initialSoakState(tenant.id, tenant.soak, now);
  return {
    ...verdictOf(state, tenant.soak, now),
    judged: stored !== undefined,
    version: stored?.version ?? 0,
    lastSample: last
      ? {
          at: last.at,
          durationMs: last.durationMs,
          complete: last.complete,
          failedNodes: [...last.legacy.nodes, ...last.target.nodes]
            .filter((n) => !n.ok)
            .map((n) => n.address),
        }
      : null,
    audit,
  };
}

/** Every configured tenant's status. */
export function listStatuses(
  store: StateStore,
  tenants: TenantConfig[],
  now: number,
): Promise<TenantStatus[]> {
  return Promise.all(tenants.map((t) => getStatus(store, t, now, { auditLimit: 5 })));
}
