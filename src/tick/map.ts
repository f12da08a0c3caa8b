import type { AlertInput } from '../alerts/index.js';
import type { TenantConfig } from '../config/index.js';
import { type HookTrigger, hookTriggers } from '../hooks/index.js';
import { JUDGE_ACTOR, type JudgeResult, type Transition } from '../soak/index.js';
import type { AuditEntry } from '../store/index.js';

/** The judge's verdict in the shape the alert planner reads. */
export function toAlertInput(tenant: TenantConfig, result: JudgeResult, now: number): AlertInput {
  const runbooks = new Map(
    [...tenant.soak.replication.criteria, ...tenant.soak.soak.criteria].map((c) => [c.id, c.runbook]),
  );
  const { verdict } = result;
  return {
    tenant: tenant.id,
    now,
    state: verdict.state,
    firing: verdict.firing.map((c) => {
      const runbook = runbooks.get(c.id);
      return {
        id: c.id,
        metric: c.metric,
        severity: c.severity,
        value: c.value,
        threshold: c.threshold,
        op: c.op,
        since: c.firingSince,
        ...(runbook ? { runbook } : {}),
      };
    }),
    transitions: result.transitions,
    coverage: verdict.coverage,
    remainingMs: verdict.remainingMs,
  };
}

/** One audit entry per transition the judge made. */
export function auditOf(transitions: Transition[]): AuditEntry[] {
  return transitions.map((t) => ({
    at: t.at,
    actor: t.actor ?? JUDGE_ACTOR,
    action: t.kind,
    from: t.from,
    to: t.to,
    reason: t.reason,
  }));
}

/** The hook triggers of a judged tick (milestones and firing criteria). */
export function triggersOf(tenantId: string, result: JudgeResult, now: number): HookTrigger[] {
  return hookTriggers({
    tenant: tenantId,
    now,
    firing: result.verdict.firing.map((c) => ({ id: c.id, since: c.firingSince })),
    transitions: result.transitions,
  });
}
