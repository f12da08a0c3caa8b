import type { Redis } from 'ioredis';
import * as z from 'zod';
import type { Config } from '../config/index.js';
import type { ConnectionPool } from '../redis/index.js';
import type { StateStore } from '../store/index.js';
import { findTenant } from '../tick/tenants.js';
import { actorSchema, parseInput, reasonSchema } from './actions.js';
import { ActionRefusedError } from './errors.js';

/** The state-store document of a tenant holding its fence: the ACL rules to restore. */
export const FENCE_DOC = 'fence';

export interface FenceDeps {
  config: Config;
  store: StateStore;
  pool: ConnectionPool;
}

/** A fence of legacy: who lost their writes, with their rules before, so unfence restores them exactly. */
export interface FenceRecord {
  at: number;
  actor: string;
  reason: string;
  /** The legacy node the ACLs were changed on (the primary when fenced). */
  node: string;
  users: { name: string; rules: string }[];
}

/** A write refused by the fence, from the legacy primary's ACL LOG. */
export interface RejectedWrite {
  username: string;
  command: string;
  reason: string;
  count: number;
  client: string;
  ageSeconds: number;
}

export interface FenceStatus {
  tenant: string;
  fenced: FenceRecord | null;
  rejected: RejectedWrite[];
  /** `errorstat_NOPERM` of the legacy primary: every command refused by an ACL since its start. */
  nopermTotal: number | null;
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
  const handle = await deps.pool.legacy(tenant);
  const primary = await handle.locatePrimary();
  return { client: await handle.node(primary), address: `${primary.host}:${primary.port}` };
}

/** ACL LIST, or the refusal that says the fence is not offered: soakwatch's legacy user may not change ACLs. */
async function aclList(client: Redis, tenant: string): Promise<string[]> {
  try {
    return (await client.call('ACL', 'LIST')) as string[];
  } catch (error) {
    throw new ActionRefusedError(
      tenant,
      'fence',
      `soakwatch's legacy user may not read or change ACLs (${(error as Error).message.split('\n')[0]}): fencing is not offered for this tenant`,
    );
  }
}

/**
 * Fences legacy after the cutover: every application user loses its write commands (`-@write`), so a
 * forgotten writer fails loudly (NOPERM, in the ACL LOG) before the legacy cluster is gone. Audited; the
 * rules before are kept in the state store for unfenceLegacy. Changes the primary's ACLs in memory: a
 * failover or restart (an ACL file reloaded) drops the fence — re-run it.
 */
export async function fenceLegacy(
  deps: FenceDeps,
  tenantId: string,
  input: { actor: string; reason: string },
  now: number,
): Promise<FenceRecord> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const { actor, reason } = parseInput(fenceInput, input);
  if (await deps.store.getDoc<FenceRecord>(tenant.id, FENCE_DOC))
    throw new ActionRefusedError(tenant.id, 'fence', 'legacy is already fenced (unfence first)');
  const { client, address } = await legacyPrimary(deps, tenant.id);
  const list = await aclList(client, tenant.id);
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
  input: { actor: string },
  now: number,
): Promise<FenceRecord> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const { actor } = parseInput(z.strictObject({ actor: actorSchema }), input);
  const record = await deps.store.getDoc<FenceRecord>(tenant.id, FENCE_DOC);
  if (!record) throw new ActionRefusedError(tenant.id, 'unfence', 'legacy is not fenced');
  const { client } = await legacyPrimary(deps, tenant.id);
  for (const u of record.users) await client.call('ACL', 'SETUSER', u.name, 'reset', ...u.rules.split(' '));
  await deps.store.setDoc(tenant.id, FENCE_DOC, null);
  await deps.store.appendAudit(tenant.id, {
    at: now,
    actor,
    action: 'unfence',
    detail: { node: record.node, users: record.users.map((u) => u.name) },
  });
  return record;
}

/** The fence in force and the writes it refused (the evidence the soak asks for). */
export async function fenceStatus(deps: FenceDeps, tenantId: string): Promise<FenceStatus> {
  const tenant = findTenant(deps.config.tenants, tenantId);
  const fenced = (await deps.store.getDoc<FenceRecord>(tenant.id, FENCE_DOC)) ?? null;
  const { client } = await legacyPrimary(deps, tenant.id);
  const names = new Set(fenced?.users.map((u) => u.name));
  const log = fenced ? ((await client.call('ACL', 'LOG', '128').catch(() => [])) as unknown[]) : [];
  const rejected = log.flatMap((raw) => {
    const e = toRecord(raw);
    const username = String(e.username ?? '');
    if (!names.has(username) || e.reason !== 'command') return [];
    return [
      {
        username,
        command: String(e.object ?? ''),
        reason: String(e.reason),
        count: Number(e.count ?? 1),
        client: String(e['client-info'] ?? '')
          .replace(/ (user|name)=\S*/g, '')
          .slice(0, 200),
        ageSeconds: Number(e['age-seconds'] ?? 0),
      },
    ];
  });
  const errorstats = String(await client.info('errorstats').catch(() => ''));
  const noperm = /errorstat_NOPERM:count=(\d+)/.exec(errorstats)?.[1];
  return { tenant: tenant.id, fenced, rejected, nopermTotal: noperm === undefined ? null : Number(noperm) };
}

/** An ACL LOG entry (a flat [key, value, …] array) as an object. */
function toRecord(raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(raw)) for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = raw[i + 1];
  return out;
}
