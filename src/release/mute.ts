import * as z from 'zod';
import { MUTES_DOC, type Mute } from '../alerts/index.js';
import { findTenant } from '../tick/tenants.js';
import { actorSchema, parseInput, reasonSchema } from './actions.js';
import { InvalidInputError } from './errors.js';
import type { StatusDeps } from './types.js';

/** A mute longer than this is a forgotten mute: refused. */
export const MAX_MUTE_MS = 7 * 86_400_000;

const muteInputSchema = z.strictObject({
  criterion: z.string().min(1).max(200).optional(),
  until: z.number().int(),
  reason: reasonSchema,
  actor: actorSchema,
});
const unmuteInputSchema = z.strictObject({
  criterion: z.string().min(1).max(200).optional(),
  actor: actorSchema,
});

/** The mutes in force at `now` (expired ones are dropped when the next mute is written). */
export async function activeMutes(deps: StatusDeps, tenantId: string, now: number): Promise<Mute[]> {
  const doc = await deps.store.getDoc<{ mutes: Mute[] }>(tenantId, MUTES_DOC);
  return (doc?.mutes ?? []).filter((m) => m.until > now);
}

/**
 * Mutes a tenant's on-call alerts, or one criterion's, until a time, with a reason; audited. A criterion
 * must be one of the tenant's policy; `until` in the future and at most MAX_MUTE_MS away.
 */
export async function muteTenant(
  deps: StatusDeps,
  tenantId: string,
  input: { criterion?: string; until: number; reason: string; actor: string },
  now: number,
): Promise<Mute[]> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const m = parseInput(muteInputSchema, input);
  const ids = [...tenant.soak.replication.criteria, ...tenant.soak.soak.criteria].map((c) => c.id);
  if (m.criterion !== undefined && !ids.includes(m.criterion))
    throw new InvalidInputError([
      {
        path: 'criterion',
        message: `no criterion "${m.criterion}" in ${tenant.id}'s policy (${ids.join(', ')})`,
      },
    ]);
  if (m.until <= now) throw new InvalidInputError([{ path: 'until', message: 'must be in the future' }]);
  if (m.until - now > MAX_MUTE_MS)
    throw new InvalidInputError([{ path: 'until', message: 'must be at most 7 days ahead' }]);
  const mute: Mute = {
    ...(m.criterion ? { criterion: m.criterion } : {}),
    until: m.until,
    reason: m.reason,
    actor: m.actor,
    at: now,
  };
  const kept = (await activeMutes(deps, tenant.id, now)).filter((x) => x.criterion !== mute.criterion);
  const mutes = [...kept, mute];
  await deps.store.setDoc(tenant.id, MUTES_DOC, { mutes });
  await deps.store.appendAudit(tenant.id, {
    at: now,
    actor: mute.actor,
    action: 'mute',
    reason: mute.reason,
    detail: { criterion: mute.criterion ?? '*', until: mute.until },
  });
  return mutes;
}

/** Lifts a mute (the tenant's, or one criterion's); audited. */
export async function unmuteTenant(
  deps: StatusDeps,
  tenantId: string,
  input: { criterion?: string; actor: string },
  now: number,
): Promise<Mute[]> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const u = parseInput(unmuteInputSchema, input);
  const mutes = (await activeMutes(deps, tenant.id, now)).filter((x) => x.criterion !== u.criterion);
  await deps.store.setDoc(tenant.id, MUTES_DOC, { mutes });
  await deps.store.appendAudit(tenant.id, {
    at: now,
    actor: u.actor,
    action: 'unmute',
    detail: { criterion: u.criterion ?? '*' },
  });
  return mutes;
}
