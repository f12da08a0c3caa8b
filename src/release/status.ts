import type { Policy, TenantConfig } from '../config/index.js';
import type { Sample } from '../sampling/types.js';
import {
  ACTIONS,
  type ActionType,
  applyAction,
  type CriterionEvidence,
  type SoakState,
  type Verdict,
} from '../soak/index.js';
import { verdictOf } from '../soak/verdict.js';
import type { AuditEntry } from '../store/index.js';
import { findTenant, loadSoakState, summarizeSample } from '../tick/tenants.js';
import type { SampleSummary } from '../tick/types.js';
import type { StatusDeps } from './types.js';

/** A tenant's soak status as release managers read it (API, CLI, status page). */
export interface TenantStatus extends Verdict {
  /** Why the verdict is inconclusive, in words; empty when it is conclusive. */
  inconclusiveReasons: string[];
  /** False until the first tick judged this tenant (the status then is the initial state, nothing measured). */
  judged: boolean;
  version: number;
  lastSample: SampleSummary | null;
  audit: AuditEntry[];
}

/** A status with what the pages need besides: where the phase began, what the judge would accept now. */
export interface TenantView extends TenantStatus {
  /** When the current phase (replication or soak) began: where its charts start. */
  phaseStartedAt: number;
  /** The actions the judge would accept now (a forced cutover aside): what the page offers. */
  actions: ActionType[];
}

/**
 * The actions the judge's own rules (applyAction) accept in this state; asking the judge rather than
 * listing states here keeps the allow-list in one place. A forced cutover is not offered.
 */
export function allowedActions(state: SoakState, policy: Policy, now: number): ActionType[] {
  return ACTIONS.filter((type) => applyAction(state, { type, actor: 'probe' }, policy, now).ok);
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

/** The stored status of one tenant, evaluated at `now`; UnknownTenantError for an id not configured. */
export async function getStatus(
  deps: StatusDeps,
  tenantId: string,
  now: number,
  opts: { auditLimit?: number } = {},
): Promise<TenantView> {
  return await statusOf(deps, findTenant(deps.config.tenants, tenantId), now, opts.auditLimit ?? 20);
}

/** Every configured tenant's status, in configuration order (the last 5 audit entries each). */
export function listStatuses(deps: StatusDeps, now: number): Promise<TenantView[]> {
  return Promise.all(deps.config.tenants.map((t) => statusOf(deps, t, now, 5)));
}

async function statusOf(
  deps: StatusDeps,
  tenant: TenantConfig,
  now: number,
  auditLimit: number,
): Promise<TenantView> {
  const [loaded, last, audit] = await Promise.all([
    loadSoakState(deps.store, tenant, now),
    deps.store.latestSample<Sample>(tenant.id),
    deps.store.auditTrail(tenant.id, auditLimit),
  ]);
  const verdict = verdictOf(loaded.state, tenant.soak, now);
  return {
    ...verdict,
    inconclusiveReasons: inconclusiveReasonsOf(verdict),
    judged: loaded.judged,
    version: loaded.version,
    lastSample: last ? summarizeSample(last) : null,
    audit,
    phaseStartedAt: loaded.state.phaseStartedAt,
    actions: allowedActions(loaded.state, tenant.soak, now),
  };
}
