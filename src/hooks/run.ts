import { describeAction } from './describe.js';
import type { HookAuditEntry, HookContext, HookDeps, HookPayload, HookResult, PlannedHook } from './types.js';

// Idempotency markers outlive any redelivery of a tick; the key holds the transition time, so a
// later trigger of the same kind has another key anyway.
const MIN_CLAIM_TTL_MS = 7 * 24 * 3_600_000;

/**
 * Runs planned hooks one after the other. Each is claimed once per trigger in the state store before
 * it acts (at most once: a failed action is not retried for the same trigger), dry-run hooks only
 * audit what they would have done, every outcome is audited as `hook:<id>`. Never throws: a failing
 * hook (or claim, or audit) becomes its result, so the judge's tick goes on.
 */
export async function runHooks(
  planned: readonly PlannedHook[],
  deps: HookDeps,
  ctx: HookContext,
): Promise<HookResult[]> {
  const results: HookResult[] = [];
  for (const p of planned) results.push(await runOne(p, deps, ctx));
  return results;
}

async function runOne(p: PlannedHook, deps: HookDeps, ctx: HookContext): Promise<HookResult> {
  const { hook, trigger } = p;
  const base = { id: hook.id, trigger: trigger.trigger, key: p.claimKey };
  if (p.skip === 'cooldown') return { ...base, status: 'skipped-cooldown' };

  const key = hook.dryRun ? `${p.claimKey}:dry-run` : p.claimKey;
  let claimed: boolean;
  try {
    claimed = await deps.claimOnce(key, Math.max(hook.cooldown, MIN_CLAIM_TTL_MS));
  } catch (error) {
    // Without the claim the hook could run twice (concurrent ticks): do not act.
    const message = `could not claim the idempotency key, not run: ${error instanceof Error ? error.message : 'unknown error'}`;
    return withAudit({ ...base, status: 'failed', error: message }, deps, ctx, p, 'hook.failed', message);
  }
  if (!claimed) return { ...base, status: 'skipped-duplicate' };

  const reason = `${trigger.trigger}${trigger.reason ? `: ${trigger.reason}` : ''}`;
  if (hook.dryRun) {
    const detail = `would have ${describeAction(hook, ctx)}`;
    return withAudit({ ...base, status: 'dry-run', detail }, deps, ctx, p, 'hook.dry-run', reason);
  }
  const payload: HookPayload = {
    source: 'soakwatch',
    hook: hook.id,
    tenant: ctx.tenant,
    trigger: trigger.trigger,
    triggeredAt: new Date(trigger.at).toISOString(),
    key: p.claimKey,
    ...(trigger.reason && { reason: trigger.reason }),
  };
  try {
    // The actions (and the AWS SDK clients' commands they send) are loaded when a hook first acts:
    // most processes never fire one.
    const { executeAction } = await import('./actions.js');
    const detail = await executeAction(hook, payload, p.claimKey, deps, ctx);
    return withAudit({ ...base, status: 'fired', detail }, deps, ctx, p, 'hook.fired', reason);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'unknown error';
    return withAudit({ ...base, status: 'failed', error: message }, deps, ctx, p, 'hook.failed', reason);
  }
}

async function withAudit(
  result: HookResult,
  deps: HookDeps,
  ctx: HookContext,
  p: PlannedHook,
  action: HookAuditEntry['action'],
  reason: string,
): Promise<HookResult> {
  const entry: HookAuditEntry = {
    at: ctx.now,
    actor: `hook:${p.hook.id}`,
    action,
    reason,
    detail: {
      trigger: p.trigger.trigger,
      key: p.claimKey,
      action: p.hook.action.type,
      ...(result.detail && { result: result.detail }),
      ...(result.error && { error: result.error }),
    },
  };
  try {
    await deps.audit(entry);
    return result;
  } catch (error) {
    return { ...result, auditError: error instanceof Error ? error.message : 'unknown error' };
  }
}
