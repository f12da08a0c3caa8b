import type { AlertTransition } from '../alerts/index.js';
import { CRITERION_TRIGGER_PREFIX } from '../config/schema.js';
import { transitionMeaning } from '../soak/index.js';
import type { HookTrigger } from './types.js';

export interface TriggerInput {
  tenant: string;
  now: number;
  firing: readonly { id: string; since: number | null }[];
  transitions: readonly AlertTransition[];
}

/**
 * The hook triggers of one tick: its transitions (the trigger the judge's TRANSITIONS table gives their
 * kind: PASSED, FAILED, SCALE_DOWN_APPROVED, CUTOVER_READY, SOAK_RESET) and every firing criterion
 * (`criterion:<id>`). Pure. A criterion's key holds the start of its breach, so a hook fires once per
 * breach, not once per tick it lasts.
 */
export function hookTriggers(input: TriggerInput): HookTrigger[] {
  const out: HookTrigger[] = [];
  for (const t of input.transitions) {
    const trigger = transitionMeaning(t.kind)?.trigger;
    if (trigger) out.push({ trigger, at: t.at, key: `${input.tenant}:${trigger}:${t.at}`, reason: t.reason });
  }
  for (const f of input.firing) {
    const at = f.since ?? input.now;
    const trigger = `${CRITERION_TRIGGER_PREFIX}${f.id}`;
    out.push({ trigger, at, key: `${input.tenant}:${trigger}:${at}` });
  }
  return out;
}
