import type { Hook } from '../config/schema.js';
import type { HookResult, HookTrigger, PlannedHook } from './types.js';

/**
 * Which hooks this tick's triggers set off. Pure. A hook runs at most once per tick (on its earliest
 * matching trigger) and not again before its cooldown has passed since it last fired
 * (`cooldowns[hookId]`); those come back with `skip: 'cooldown'`.
 */
export function planHooks(
  hooks: readonly Hook[],
  triggers: readonly HookTrigger[],
  cooldowns: Readonly<Record<string, number>>,
  now: number,
): PlannedHook[] {
  const planned: PlannedHook[] = [];
  const ordered = [...triggers].sort((a, b) => a.at - b.at);
  for (const hook of hooks) {
    const trigger = ordered.find((t) => hook.on.includes(t.trigger));
    if (!trigger) continue;
    const last = cooldowns[hook.id];
    const cooling = last !== undefined && now - last < hook.cooldown;
    planned.push({
      hook,
      trigger,
      claimKey: `hook:${hook.id}:${trigger.key}`,
      ...(cooling && { skip: 'cooldown' as const }),
    });
  }
  return planned;
}

/** The cooldown map after a run: fired and dry-run hooks start their cooldown at `now`. */
export function updateCooldowns(
  cooldowns: Readonly<Record<string, number>>,
  results: readonly HookResult[],
  now: number,
): Record<string, number> {
  const next = { ...cooldowns };
  for (const r of results) if (r.status === 'fired' || r.status === 'dry-run') next[r.id] = now;
  return next;
}
