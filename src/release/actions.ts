import { z } from 'zod';
import type { TenantConfig } from '../config/index.js';
import {
  ACTIONS,
  type Action,
  applyAction,
  initialSoakState,
  type JudgeResult,
  type SoakState,
  type Transition,
  verdictOf,
} from '../soak/index.js';
import { auditOf, toAlertInput, triggersOf } from '../tick/map.js';
import { sendAlerts } from '../tick/notify.js';
import type { HookOutcome, TickDeps } from '../tick/types.js';
import { ReleaseError } from './errors.js';

export const actionInputSchema = z.strictObject({
  action: z.enum(ACTIONS),
  actor: z.string().trim().min(1, 'actor is required').max(200),
  reason: z.string().trim().min(1).max(1000).optional(),
  force: z.boolean().optional(),
});
/** What a caller asks for; validated here, so API and CLI share one set of messages. */
export interface ActionInput {
  action: string;
  actor: string;
  reason?: string;
  force?: boolean;
}

export interface ActionOutcome {
  tenant: string;
  transition: Transition;
  state: string;
  messages: number;
  hooks: HookOutcome[];
}

/**
 * A release manager's action (cutover, abort, approve, scaled-down, restart): applied by the judge's rules,
 * written with compare-and-set and an audit entry, announced on the release topic, hooks fired.
 * Refusals are ReleaseError 409 with the judge's reason; nothing is written then.
 */
export async function performAction(
  deps: Pick<TickDeps, 'store' | 'config' | 'publish' | 'log' | 'runHooks'>,
  tenant: TenantConfig,
  input: ActionInput,
  now: number,
): Promise<ActionOutcome> {
  const parsed = actionInputSchema.safeParse(input);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw new ReleaseError(why, 400);
  }
  const { action: type, actor, reason, force } = parsed.data;
  const stored = await deps.store.getState<SoakState>(tenant.id);
  const state = stored?.state ?? initialSoakState(tenant.id, tenant.soak, now);
  const action: Action = { type, actor, ...(reason ? { reason } : {}), ...(force ? { force } : {}) };
  const result = applyAction(state, action, tenant.soak, now);
  if (!result.ok) throw new ReleaseError(`${type} refused for tenant ${tenant.id}: ${result.reason}`, 409);

  const cas = await deps.store.casState(
    tenant.id,
    stored?.version ?? 0,
    result.state,
    auditOf([result.transition]),
  );
  if (!cas.ok)
    throw new ReleaseError(`tenant ${tenant.id} changed while ${type} was applied; try again`, 409);

  // The same alert and hook path as a tick, so open alerts stay open and the milestone goes out once.
  const judged: JudgeResult = {
    state: result.state,
    transitions: [result.transition],
    verdict: verdictOf(result.state, tenant.soak, now),
  };
  const messages = await sendAlerts(deps, tenant, toAlertInput(tenant, judged, now));
  const hooks =
    deps.runHooks && tenant.hooks.length > 0
      ? await deps.runHooks(tenant, triggersOf(tenant.id, judged, now), now)
      : [];
  return { tenant: tenant.id, transition: result.transition, state: result.state.state, messages, hooks };
}
