import type { Redis } from 'ioredis';
import * as z from 'zod';
import type { Config } from '../config/index.js';
import type { ConnectionPool } from '../redis/index.js';
import { type RejectedWrite, readAclLog } from '../sampling/refusedWrites.js';
import type { SoakStateName } from '../soak/index.js';
import type { StateStore } from '../store/index.js';
import { FENCE_DOC, type FenceRecord } from '../tick/fence.js';
import { findTenant, loadSoakState } from '../tick/tenants.js';
import { actorSchema, parseInput, reasonSchema } from './actions.js';
import { ActionRefusedError, LegacyUnreachableError } from './errors.js';

export type { RejectedWrite } from '../sampling/refusedWrites.js';
export type { FenceRecord } from '../tick/fence.js';
export { FENCE_DOC } from '../tick/fence.js';

export interface FenceDeps {
  config: Config;
  store: StateStore;
  pool: ConnectionPool;
}

export interface FenceStatus {
  tenant: string;
  state: SoakStateName;
  fenced: FenceRecord | null;
  /** What may be done now, and why not: what the API offers and the page shows as buttons. */
  offer: FenceOffer;
  rejected: RejectedWrite[];
  /** Why the ACL LOG could not be read (then `rejected` is not known, not empty). */
  rejectedError?: string;
  /** `errorstat_NOPERM` of the legacy primary: every command refused by an ACL since its start. */
  nopermTotal: number | null;
}

/** Whether fence / unfence are allowed now; `why` says why the one not offered is not. */
export interface FenceOffer {
  fence: boolean;
  unfence: boolean;
  why?: string;
}

/**
 * The states a fence may be put up in: after the cutover (applications are on the target), before the
 * scale-down (legacy still exists as the fallback). Unfencing is allowed in any state while fenced but
 * SCALED_DOWN (legacy is gone): a rollback after FAILED or ABORTED needs legacy writable again.
 */
export const FENCE_STATES: readonly SoakStateName[] = ['SOAKING', 'PASSED', 'SCALE_DOWN_APPROVED'];

/** What the state and the record allow (pure); soakwatch's ACL rights on legacy come on top (aclRefusal). */
export function fenceRule(state: SoakStateName, fenced: boolean): FenceOffer {
  // Scaled down, legacy is gone: nothing is left to fence or to restore.
  if (state === 'SCALED_DOWN')
    return { fence: false, unfence: false, why: 'legacy is scaled down: there is nothing to fence' };
  if (fenced) return { fence: false, unfence: true, why: 'legacy is already fenced (unfence first)' };
  if (!FENCE_STATES.includes(state))
    return {
      fence: false,
      unfence: false,
      why: `fencing is offered after the cutover and before the scale-down (${FENCE_STATES.join(', ')}); the state is ${state}`,
    };
  return { fence: true, unfence: false, why: 'legacy is not fenced' };
}

/**
 * The users a fence takes writes from: every enabled user of `ACL LIST` but soakwatch's own and the
 * excluded ones (the CDC tool's). Pure; a line is `user <name> <rules…>`.
 */
export function planFence(
  aclList: readonly string[],
  keep: readonly string[],
): { name: string; rules: string }[] {
  return aclList.flatMap((line) => {
    const m = /^user (\S+) (.*)$/.exec(line.trim());
    if (!m?.[1] || m[2] === undefined) return [];
    const [name, rules] = [m[1], m[2]];
    if (keep.includes(name) || !/(^| )on( |$)/.test(rules)) return [];
    return [{ name, rules }];
  });
}

const fenceInput = z.strictObject({ actor: actorSchema, reason: reasonSchema });

async function legacyPrimary(deps: FenceDeps, tenantId: string): Promise<{ client: Redis; address: string }> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  try {
    const handle = await deps.pool.legacy(tenant);
    const primary = await handle.locatePrimary();
    const client = await handle.node(primary);
    // Connected, not just handed out: a primary that is down fails here, before anything is changed.
    await client.ping();
    return { client, address: `${primary.host}:${primary.port}` };
  } catch (error) {
    throw new LegacyUnreachableError(tenant.id, firstLine(error), { cause: error });
  }
}

const firstLine = (error: unknown) => (error as Error).message.split('\n')[0] ?? '';

/** The ACL subcommands a fence runs on the primary besides WHOAMI (asked first: its refusal is the answer). */
const FENCE_ACL_COMMANDS = ['LIST', 'SETUSER', 'LOG'] as const;

/**
 * Why soakwatch's legacy user may not fence (it may not run one of ACL LIST, SETUSER, LOG), or undefined
 * when it may. Asked of the server (`ACL DRYRUN <me> ACL <sub>`, Redis ≥ 7), nothing changed; a server
 * without DRYRUN is asked `ACL LIST` itself.
 */
export async function aclRefusal(client: Redis): Promise<string | undefined> {
  let me: string;
  try {
    me = String(await client.call('ACL', 'WHOAMI'));
  } catch (error) {
    return `soakwatch's legacy user may not read or change ACLs (ACL WHOAMI: ${firstLine(error)})`;
  }
  for (const sub of FENCE_ACL_COMMANDS) {
    let answer: unknown;
    try {
      answer = await client.call('ACL', 'DRYRUN', me, 'ACL', sub, ...(sub === 'SETUSER' ? ['probe'] : []));
    } catch (error) {
      const message = firstLine(error);
      if (!/unknown subcommand/i.test(message))
        return `soakwatch's legacy user "${me}" may not read or change ACLs (ACL DRYRUN: ${message})`;
      // No DRYRUN (Redis 6): ACL LIST refused is the one thing that can be seen without changing anything.
      try {
        await client.call('ACL', 'LIST');
        return undefined;
      } catch (listError) {
        return `soakwatch's legacy user "${me}" may not read or change ACLs (ACL LIST: ${firstLine(listError)})`;
      }
    }
    if (String(answer) !== 'OK')
      return `soakwatch's legacy user "${me}" may not read or change ACLs (ACL ${sub}: ${String(answer)})`;
  }
  return undefined;
}

/** The state and the fence record of a tenant. */
async function fenceState(deps: FenceDeps, tenantId: string, now: number) {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const [loaded, fenced] = await Promise.all([
    loadSoakState(deps.store, tenant, now),
    deps.store.getDoc<FenceRecord>(tenant.id, FENCE_DOC),
  ]);
  return { tenant, state: loaded.state.state, fenced: fenced ?? null };
}

/**
 * Fences legacy after the cutover: every application user loses its write commands (`-@write`), so a
 * forgotten writer fails loudly (NOPERM, in the ACL LOG) before the legacy cluster is gone. Refused
 * (ActionRefusedError, naming why) outside FENCE_STATES, when already fenced, and when soakwatch's
 * legacy user may not change ACLs. Audited; the rules before are kept in the state store for
 * unfenceLegacy. Changes the primary's ACLs in memory: a failover or restart (an ACL file reloaded)
 * drops the fence — re-run it.
 */
export async function fenceLegacy(
  deps: FenceDeps,
  tenantId: string,
  input: { actor: string; reason: string },
  now: number,
): Promise<FenceRecord> {
  const { actor, reason } = parseInput(fenceInput, input);
  const { tenant, state, fenced } = await fenceState(deps, tenantId, now);
  const rule = fenceRule(state, fenced !== null);
  if (!rule.fence) throw new ActionRefusedError(tenant.id, 'fence', rule.why ?? 'not offered');
  const { client, address } = await legacyPrimary(deps, tenant.id);
  const refusal = await aclRefusal(client);
  if (refusal)
    throw new ActionRefusedError(tenant.id, 'fence', `${refusal}: fencing is not offered for this tenant`);
  const list = (await client.call('ACL', 'LIST')) as string[];
  const me = String(await client.call('ACL', 'WHOAMI'));
  const users = planFence(list, [me, ...tenant.legacy.fenceExclude]);
  const record: FenceRecord = { at: now, actor, reason, node: address, users };
  // Saved before the first change: a failure half-way leaves what to restore.
  await deps.store.setDoc(tenant.id, FENCE_DOC, record);
  for (const u of users) await client.call('ACL', 'SETUSER', u.name, '-@write');
  await deps.store.appendAudit(tenant.id, {
    at: now,
    actor,
    action: 'fence',
    reason,
    detail: { node: address, users: users.map((u) => u.name), kept: [me, ...tenant.legacy.fenceExclude] },
  });
  return record;
}

/** Restores every fenced user's rules exactly as they were (`ACL SETUSER name reset <rules>`); audited. */
export async function unfenceLegacy(
  deps: FenceDeps,
  tenantId: string,
  input: { actor: string; reason?: string },
  now: number,
): Promise<FenceRecord> {
  const { actor, reason } = parseInput(
    z.strictObject({ actor: actorSchema, reason: reasonSchema.optional() }),
    input,
  );
  const { tenant, state, fenced: record } = await fenceState(deps, tenantId, now);
  if (!record) throw new ActionRefusedError(tenant.id, 'unfence', 'legacy is not fenced');
  const rule = fenceRule(state, true);
  if (!rule.unfence) throw new ActionRefusedError(tenant.id, 'unfence', rule.why ?? 'not offered');
  const { client } = await legacyPrimary(deps, tenant.id);
  for (const u of record.users) await client.call('ACL', 'SETUSER', u.name, 'reset', ...u.rules.split(' '));
  await deps.store.setDoc(tenant.id, FENCE_DOC, null);
  await deps.store.appendAudit(tenant.id, {
    at: now,
    actor,
    action: 'unfence',
    ...(reason ? { reason } : {}),
    detail: { node: record.node, users: record.users.map((u) => u.name) },
  });
  return record;
}

/**
 * The fence in force, what may be done now (the state's rule, then soakwatch's ACL rights on the
 * primary), and the writes it refused (the evidence the soak asks for). Connects to legacy only where a
 * fence is in force or offered by the state.
 */
export async function fenceStatus(deps: FenceDeps, tenantId: string, now = Date.now()): Promise<FenceStatus> {
  const { tenant, state, fenced } = await fenceState(deps, tenantId, now);
  let offer = fenceRule(state, fenced !== null);
  const base = { tenant: tenant.id, state, fenced, rejected: [], nopermTotal: null };
  if (!offer.fence && !offer.unfence) return { ...base, offer };
  let client: Redis;
  try {
    ({ client } = await legacyPrimary(deps, tenant.id));
  } catch (error) {
    return {
      ...base,
      // Both need the primary: neither is offered while it cannot be reached.
      offer: {
        fence: false,
        unfence: false,
        why: firstLine(error),
      },
    };
  }
  if (offer.fence) {
    const refusal = await aclRefusal(client);
    if (refusal) offer = { fence: false, unfence: false, why: refusal };
  }
  // An unreadable ACL LOG is "not known" with its cause, never an empty list ("nothing refused").
  let rejected: RejectedWrite[] = [];
  let rejectedError: string | undefined;
  if (fenced)
    rejected = await readAclLog(client, fenced).catch((error: unknown) => {
      rejectedError = firstLine(error);
      return [];
    });
  const errorstats = String(await client.info('errorstats').catch(() => ''));
  const noperm = /errorstat_NOPERM:count=(\d+)/.exec(errorstats)?.[1];
  return {
    ...base,
    offer,
    rejected,
    ...(rejectedError !== undefined ? { rejectedError } : {}),
    nopermTotal: noperm === undefined ? null : Number(noperm),
  };
}
