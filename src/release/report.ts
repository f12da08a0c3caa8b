import { createHash } from 'node:crypto';
import type { Policy } from '../config/index.js';
import type { CriterionEvidence, Reset } from '../soak/index.js';
import { JUDGE_ACTOR } from '../soak/index.js';
import type { AuditEntry } from '../store/index.js';
import { findTenant } from '../tick/tenants.js';
import { getStatus, type TenantView } from './status.js';
import type { StatusDeps } from './types.js';

export const EVIDENCE_SCHEMA = 'soakwatch.evidence/v1';

/** One check the policy runs: what is compared with what, over which window, how often. */
export interface EvidenceCheck {
  phase: 'replication' | 'soak';
  id: string;
  metric: string;
  scope?: string;
  rule: string;
  windowMs: number;
  consecutive: number;
  severity: string;
}

/** The evidence pack of a tenant for the change ticket: what was checked, the bounds reached, who did what. */
export interface EvidenceReport {
  schema: typeof EVIDENCE_SCHEMA;
  tenant: string;
  generatedAt: number;
  state: string;
  phase: string;
  /** The policy in force and the SHA-256 of its canonical JSON (sorted keys): the same policy, the same hash. */
  policy: { sha256: string; policy: Policy };
  /** Every check, sampled every `sampleIntervalMs`. */
  sampleIntervalMs: number;
  checks: EvidenceCheck[];
  clock: { elapsedMs: number; requiredMs: number; remainingMs: number | null; coverage: number | null };
  inconclusiveReasons: string[];
  criteria: CriterionEvidence[];
  /** Spot-check of the replication phase: keys checked, mismatches, the 95 % upper bound of the rate. */
  spotCheck: { checked: number; mismatches: number; upperBound95: number | null } | null;
  fullCompare: TenantView['fullCompare'] | null;
  resets: Reset[];
  /** The release managers' actions (approvals, cutover, aborts) with their actors and reasons. */
  actions: AuditEntry[];
  /** Every transition of the tenant's state, the judge's and the release managers'. */
  transitions: AuditEntry[];
  /** The oldest judged sample still stored (history retention) and the newest one judged. */
  history: { first: number | null; last: number | null };
}

/** JSON with every object's keys sorted: one text for one value, whatever order it was built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

function checksOf(policy: Policy): EvidenceCheck[] {
  const phases = [
    ['replication', policy.replication.criteria],
    ['soak', policy.soak.criteria],
  ] as const;
  return phases.flatMap(([phase, criteria]) =>
    criteria.map((c) => ({
      phase,
      id: c.id,
      metric: c.metric,
      ...(c.scope ? { scope: c.scope } : {}),
      rule: `${c.aggregate} ${c.op} ${c.threshold}`,
      windowMs: c.window,
      consecutive: c.consecutive,
      severity: c.severity,
    })),
  );
}

/** Builds a tenant's evidence pack from the stored state, audit trail and history (UnknownTenantError: 404). */
export async function evidenceReport(
  deps: StatusDeps,
  tenantId: string,
  now: number,
): Promise<EvidenceReport> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const [status, audit, history] = await Promise.all([
    getStatus(deps, tenant.id, now, { auditLimit: 1 }),
    deps.store.auditTrail(tenant.id, 10_000),
    deps.store.history<{ at: number }>(tenant.id, 0, now, 1),
  ]);
  const policy = tenant.soak;
  return {
    schema: EVIDENCE_SCHEMA,
    tenant: tenant.id,
    generatedAt: now,
    state: status.state,
    phase: status.phase,
    policy: { sha256: createHash('sha256').update(canonicalJson(policy)).digest('hex'), policy },
    sampleIntervalMs: policy.sampleInterval,
    checks: checksOf(policy),
    clock: {
      elapsedMs: status.elapsedMs,
      requiredMs: status.requiredMs,
      remainingMs: status.remainingMs,
      coverage: status.coverage,
    },
    inconclusiveReasons: status.inconclusiveReasons,
    criteria: status.criteria,
    spotCheck: status.spotCheck
      ? {
          checked: status.spotCheck.checked,
          mismatches: status.spotCheck.mismatches,
          upperBound95: status.spotCheck.upperBound,
        }
      : null,
    fullCompare: status.fullCompare ?? null,
    resets: status.resets,
    actions: audit.filter((e) => e.actor !== JUDGE_ACTOR),
    transitions: audit.filter((e) => e.to !== undefined),
    history: { first: history[0]?.at ?? null, last: status.lastSampleAt },
  };
}
