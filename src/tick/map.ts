import type { AlertInput } from '../alerts/index.js';
import type { TenantConfig } from '../config/index.js';
import type { JudgeResult, Transition } from '../soak/index.js';
import type { AuditEntry } from '../store/index.js';
import type { HookTrigger } from './types.js';

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

const TRIGGER_OF_KIND: Partial<Record<Transition['kind'], string>> = {
  ready: 'CUTOVER_READY',
  passed: 'PASSED',
  failed: 'FAILED',
  approved: 'SCALE_DOWN_APPROVED',
  reset: 'SOAK_RESET',
};

/**
 * The hook triggers of one tick: milestones from its transitions, and every criterion that fires.
 * A criterion's key carries when it began firing, so it triggers once per breach episode.
 */
export function hookTriggers(tenantId: string, result: JudgeResult): HookTrigger[] {
  const triggers: HookTrigger[] = [];
  for (const t of result.transitions) {
    const trigger = TRIGGER_OF_KIND[t.kind];
    if (trigger) triggers.push({ trigger, at: t.at, key: `${tenantId}:${trigger}:${t.at}` });
  }
  for (const c of result.verdict.firing) {
    const since = c.firingSince ?? result.verdict.lastSampleAt ?? 0;
    triggers.push({ trigger: `criterion:${c.id}`, at: since, key: `${tenantId}:criterion:${c.id}:${since}` });
  }
  return triggers;
}

/** One audit entry per transition the judge made. */
export function auditOf(transitions: Transition[]): AuditEntry[] {
  return transitions.map((t) => ({
    at: t.at,
    actor: t.actor ?? 'judge',
    action: t.kind,
    from: t.from,
    to: t.to,
    reason: t.reason,
  }));
}
