import * as z from 'zod';
import {
  ACTIONS,
  type Action,
  applyAction,
  type JudgeResult,
  type Transition,
  verdictOf,
} from '../soak/index.js';
import { auditOf, toAlertInput, triggersOf } from '../tick/map.js';
import { sendAlerts } from '../tick/notify.js';
import { deliverOutbox, deliveryOf, isMilestoneTrigger } from '../tick/outbox.js';
import { findTenant, loadSoakState } from '../tick/tenants.js';
import type { HookOutcome } from '../tick/types.js';
import { ActionRefusedError, ConcurrentChangeError, type InputIssue, InvalidInputError } from './errors.js';
import type { ReleaseDeps } from './types.js';

/** Who does it: recorded in the audit trail as the actor. */
export const actorSchema = z.string().trim().min(1, 'actor is required').max(200);
/** Why: recorded in the audit trail and announced (required with `force`, by the judge). */
export const reasonSchema = z.string().trim().min(1).max(1000);

export const actionInputSchema = z.strictObject({
  action: z.enum(ACTIONS),
  actor: actorSchema,
  reason: reasonSchema.optional(),
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

/** Parses with one of the service's schemas, or an InvalidInputError listing every invalid field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(issuesOf(parsed.error));
}

function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

/**
 * A release manager's action (cutover, abort, approve, scaled-down, restart) on a configured tenant:
 * applied by the judge's rules, written with compare-and-set and an audit entry, announced on the release
 * topic, hooks fired. Nothing is written when it is refused: InvalidInputError (the request),
 * UnknownTenantError, ActionRefusedError (the judge's reason), ConcurrentChangeError (the state moved).
 */
export async function performAction(
  deps: ReleaseDeps,
  tenantId: string,
  input: ActionInput,
  now: number,
): Promise<ActionOutcome> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const { action: type, actor, reason, force } = parseInput(actionInputSchema, input);
  const { state, version } = await loadSoakState(deps.store, tenant, now);
  const action: Action = { type, actor, ...(reason ? { reason } : {}), ...(force ? { force } : {}) };
  const result = applyAction(state, action, tenant.soak, now);
  if (!result.ok) throw new ActionRefusedError(tenant.id, type, result.reason);

  // The same alert and hook path as a tick, so open alerts stay open and the milestone goes out once:
  // the milestone and its hooks are owed in the outbox, written with the state.
  const judged: JudgeResult = {
    state: result.state,
    transitions: [result.transition],
    verdict: verdictOf(result.state, tenant.soak, now),
  };
  const alert = toAlertInput(tenant, judged, now);
  const owed = deliveryOf(tenant.id, judged, alert);
  const cas = await deps.store.casState(
    tenant.id,
    version,
    result.state,
    auditOf([result.transition]),
    owed ? [owed] : [],
  );
  if (!cas.ok) throw new ConcurrentChangeError(tenant.id, type);

  let messages = await sendAlerts(deps, tenant, { ...alert, transitions: [] });
  // A process that defers hooks (the API: no hook permissions) leaves them all to the next tick.
  const direct = deps.deferHooks
    ? []
    : triggersOf(tenant.id, judged, now).filter((t) => !isMilestoneTrigger(t, judged));
  const hooks = await deps.runHooks(tenant, direct, now);
  const delivered = await deliverOutbox(deps, tenant, now, { hooks: !deps.deferHooks });
  messages += delivered.messages;
  hooks.push(...delivered.hooks);
  return { tenant: tenant.id, transition: result.transition, state: result.state.state, messages, hooks };
}
