import type { AlertInput } from '../alerts/index.js';
import type { TenantConfig } from '../config/index.js';
import { type HookTrigger, hookTriggers } from '../hooks/index.js';
import type { MetricName } from '../metrics/index.js';
import { JUDGE_ACTOR, type JudgeResult, type SoakState, type Transition, verdictOf } from '../soak/index.js';
import type { AuditEntry } from '../store/index.js';
import { describeFutureSample, type FutureSample } from './futureSamples.js';

/** The criterion of the sampler's failures: its alert names the nodes that could not be read. */
const SAMPLER_METRIC: MetricName = 'samplerFailures';

/** What the tick knows beyond the verdict, for the alert's text. */
export interface AlertContext {
  /** Nodes the latest sample could not read, with why: the sampler criterion's detail when it has none. */
  unreadNodes?: { address: string; error?: string }[];
}

/** The judge's verdict in the shape the alert planner reads. */
export function toAlertInput(
  tenant: TenantConfig,
  result: JudgeResult,
  now: number,
  context: AlertContext = {},
): AlertInput {
  const runbooks = new Map(
    [...tenant.soak.replication.criteria, ...tenant.soak.soak.criteria].map((c) => [c.id, c.runbook]),
  );
  const { verdict } = result;
  const unread = context.unreadNodes?.length
    ? `cannot read ${context.unreadNodes.map((n) => (n.error ? `${n.address} (${n.error})` : n.address)).join(', ')}`
    : undefined;
  return {
    tenant: tenant.id,
    now,
    state: verdict.state,
    firing: verdict.firing.map((c) => {
      const runbook = runbooks.get(c.id);
      const detail = c.detail ?? (c.metric === SAMPLER_METRIC && !c.cause ? unread : undefined);
      return {
        id: c.id,
        metric: c.metric,
        severity: c.severity,
        value: c.value,
        threshold: c.threshold,
        op: c.op,
        since: c.firingSince,
        ...(runbook ? { runbook } : {}),
        ...(c.cause ? { cause: c.cause } : {}),
        ...(detail ? { detail } : {}),
        ...(c.mismatches ? { mismatches: c.mismatches } : {}),
      };
    }),
    transitions: result.transitions,
    coverage: verdict.coverage,
    remainingMs: verdict.remainingMs,
    ...(verdict.inconclusive && verdict.inconclusiveReasons?.length
      ? { inconclusiveReasons: verdict.inconclusiveReasons }
      : {}),
  };
}

/** The id under which a refused future sample fires on the alert topic (criterion ids have no `:`). */
export const FUTURE_SAMPLE_ALERT_ID = 'watcher:future-sample';

/**
 * The alert input of a tick refused for a sample from the future: what fired at the last judged tick
 * still fires (nothing was judged, nothing cleared), plus the refusal itself, critical: the tenant is
 * not watched until the clocks agree. The next judged tick resolves it.
 */
export function futureSampleAlertInput(
  tenant: TenantConfig,
  state: SoakState,
  future: FutureSample,
  now: number,
): AlertInput {
  const judged = toAlertInput(
    tenant,
    { state, transitions: [], verdict: verdictOf(state, tenant.soak, now) },
    now,
  );
  return {
    ...judged,
    firing: [
      ...judged.firing,
      {
        id: FUTURE_SAMPLE_ALERT_ID,
        metric: future.kind === 'tick' ? 'tickAheadOfStoreClockMs' : 'storedSampleAheadMs',
        severity: 'critical',
        value: future.aheadMs,
        threshold: future.maxSkewMs,
        op: '>',
        since: null,
        detail: describeFutureSample(future),
      },
    ],
  };
}

/** One audit entry per transition the judge made (`action` is its kind, see TRANSITIONS). */
export function auditOf(transitions: Transition[]): AuditEntry[] {
  return transitions.map((t) => ({
    at: t.at,
    actor: t.actor ?? JUDGE_ACTOR,
    action: t.kind,
    from: t.from,
    to: t.to,
    reason: t.reason,
    ...(t.forced ? { forced: t.forced } : {}),
    ...(t.actorReason !== undefined ? { actorReason: t.actorReason } : {}),
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
