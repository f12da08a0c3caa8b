import { milestoneOf } from '../alerts/milestones.js';
import type { AlertTransition } from '../alerts/types.js';
import type { HookTrigger } from './types.js';

const TRIGGER_OF_MILESTONE: Partial<Record<string, string>> = {
  passed: 'PASSED',
  failed: 'FAILED',
  approved: 'SCALE_DOWN_APPROVED',
  'ready-for-cutover': 'CUTOVER_READY',
  'soak-reset': 'SOAK_RESET',
};

export interface TriggerInput {
  tenant: string;
  now: number;
  firing: readonly { id: string; since: number | null }[];
  transitions: readonly AlertTransition[];
}

/**
 * The hook triggers of one tick: its transitions (PASSED, FAILED, SCALE_DOWN_APPROVED,
 * CUTOVER_READY, SOAK_RESET) and every firing criterion (`criterion:<id>`). Pure. A criterion's key
 * holds the start of its breach, so a hook fires once per breach, not once per tick it lasts.
 */
export function hookTriggers(input: TriggerInput): HookTrigger[] {
  const out: HookTrigger[] = [];
  for (const t of input.transitions) {
    const milestone = milestoneOf(t);
    const trigger = milestone ? TRIGGER_OF_MILESTONE[milestone] : undefined;
    if (trigger) out.push({ trigger, at: t.at, key: `${input.tenant}:${trigger}:${t.at}`, reason: t.reason });
  }
  for (const f of input.firing) {
    const at = f.since ?? input.now;
    const trigger = `criterion:${f.id}`;
    out.push({ trigger, at, key: `${input.tenant}:${trigger}:${at}` });
  }
  return out;
}
