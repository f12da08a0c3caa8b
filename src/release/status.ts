import type { TenantConfig } from '../config/index.js';
import type { Sample } from '../sampling/types.js';
import {
  type CriterionEvidence,
  initialSoakState,
  type SoakState,
  type Verdict,
  verdictOf,
} from '../soak/index.js';
import type { AuditEntry, StateStore } from '../store/index.js';
import { ReleaseError } from './errors.js';

/** A tenant's soak status as release managers read it (API, CLI, status page). */
export interface TenantStatus extends Verdict {
  /** Why the verdict is inconclusive, in words; empty when it is conclusive. */
  inconclusiveReasons: string[];
  /** False until the first tick judged this tenant (the status then is the initial state, nothing measured). */
  judged: boolean;
  version: number;
  lastSample: { at: number; durationMs: number; complete: boolean; failedNodes: string[] } | null;
  audit: AuditEntry[];
}

/** Why a verdict is inconclusive: the judge's reasons, or (a judge that gives none) its coverage. */
export function inconclusiveReasonsOf(
  v: Pick<Verdict, 'inconclusive' | 'inconclusiveReasons' | 'coverage'>,
): string[] {
  if (!v.inconclusive) return [];
  if (v.inconclusiveReasons?.length) return [...v.inconclusiveReasons];
  const coverage = v.coverage === null ? 'no data' : `${(v.coverage * 100).toFixed(1)} %`;
  return [`coverage ${coverage} below the floor`];
}

/** Why a criterion has no data (its cause), else what its value is made of (its detail). */
export function criterionWhy(c: Pick<CriterionEvidence, 'status' | 'cause' | 'detail'>): string | undefined {
  return c.status === 'nodata' ? (c.cause ?? c.detail) : (c.detail ?? c.cause);
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
  const verdict = verdictOf(state, tenant.soak, now);
  return {
    ...verdict,
    inconclusiveReasons: inconclusiveReasonsOf(verdict),
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
