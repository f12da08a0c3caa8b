import type { Redis } from 'ioredis';
import type { TenantConfig } from '../config/schema.js';
import type { ConnectionPool } from '../redis/index.js';
import { fmt, joinCauses } from './causes.js';
import type { Sample } from './types.js';

/** The fence the sampler reads refused writes for: since when, whose (src/tick/fence.ts's record). */
export interface FenceScope {
  at: number;
  users: readonly { name: string }[];
}

/** A write refused by the fence, from the legacy primary's ACL LOG. */
export interface RejectedWrite {
  username: string;
  command: string;
  reason: string;
  /** Refusals the entry groups (Redis merges like entries within 60 s). */
  count: number;
  client: string;
  /** Seconds since the entry was last updated. */
  ageSeconds: number;
}

/** The metric key this module measures (the catalogue's home of its meaning). */
export const REFUSED_WRITES_METRIC = 'legacyRefusedWrites';
/** Where a sample keeps its reading: the next sample's delta is taken against `total`. */
const CHECK_KEY = 'refusedWrites';
/** ACL LOG is bounded (acllog-max-len, 128 by default): one call reads all of it. */
const ACL_LOG_ENTRIES = '128';

/** A reading of the fenced users' refusals: what the ACL LOG holds of them since the fence. */
export type RefusedWritesReading = { total: number; entries: RejectedWrite[] } | { error: string };

/**
 * The fenced users' refused commands among ACL LOG entries (flat [key, value, …] arrays), updated since
 * `since` (ms) at `now` (ms). Pure. Before the fence these users could write, so their `command` entries
 * since then are the fence's refusals.
 */
export function parseAclLog(
  raw: readonly unknown[],
  users: ReadonlySet<string>,
  since: number,
  now: number,
): RejectedWrite[] {
  return raw.flatMap((item) => {
    const e = toRecord(item);
    const username = String(e.username ?? '');
    if (!users.has(username) || e.reason !== 'command') return [];
    const ageSeconds = Number(e['age-seconds'] ?? 0);
    // Redis ≥ 7.2 stamps the entry's creation; before, its last update (age) is what there is.
    const created = e['timestamp-created'] !== undefined ? Number(e['timestamp-created']) : undefined;
    if ((created ?? now - ageSeconds * 1000) < since) return [];
    return [
      {
        username,
        command: String(e.object ?? ''),
        reason: String(e.reason),
        count: Number(e.count ?? 1),
        // The client's own fields only: user= and name= say nothing the username does not.
        client: String(e['client-info'] ?? '')
          .replace(/ (user|name)=\S*/g, '')
          .slice(0, 200),
        ageSeconds,
      },
    ];
  });
}

/** Reads the fenced users' refused writes from a node's ACL LOG (one bounded call). */
export async function readAclLog(client: Redis, fence: FenceScope): Promise<RejectedWrite[]> {
  const raw = (await client.call('ACL', 'LOG', ACL_LOG_ENTRIES)) as unknown[];
  // An entry's age is counted at the reply, so its time is the clock at the reply too: a `now` taken
  // earlier (a request's start, before its other reads) would date every entry earlier by the delay,
  // and an entry made just after the fence would fall before it.
  return parseAclLog(raw, new Set(fence.users.map((u) => u.name)), fence.at, Date.now());
}

/**
 * The refused writes of a fenced tenant on its legacy primary (the one the sample just read), or why
 * they could not be read. Called only while the tenant is fenced: the ACL LOG of other tenants is never
 * read.
 */
export async function readRefusedWrites(
  pool: ConnectionPool,
  tenant: TenantConfig,
  sample: Pick<Sample, 'legacy'>,
  fence: FenceScope,
): Promise<RefusedWritesReading> {
  try {
    const handle = await pool.legacy(tenant);
    const primary = sample.legacy.primary
      ? hostPort(sample.legacy.primary)
      : (handle.primary ?? (await handle.locatePrimary()));
    const entries = await readAclLog(await handle.node(primary), fence);
    return { total: entries.reduce((n, e) => n + e.count, 0), entries };
  } catch (error) {
    return { error: (error as Error).message.split('\n')[0] ?? 'failed' };
  }
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/**
 * The sample with `legacyRefusedWrites`: refusals since the previous sample's reading (all since the
 * fence when it had none), the writers named in its note, the reading kept in `checks` for the next
 * delta. Pure. A log that shrank (ACL LOG RESET, entries pushed out) counts what it holds now: a refusal
 * is never lost, at worst one is counted twice. A failed read is `null` with why: a fenced tenant whose
 * refusals cannot be seen has no data, not zero.
 */
export function withRefusedWrites(
  sample: Sample,
  reading: RefusedWritesReading,
  previous: Sample | undefined,
): Sample {
  if ('error' in reading)
    return {
      ...sample,
      derived: { ...sample.derived, [REFUSED_WRITES_METRIC]: null },
      notes: {
        ...sample.notes,
        [REFUSED_WRITES_METRIC]: `ACL LOG not read on the legacy primary: ${reading.error}`,
      },
    };
  const before = previousTotal(previous);
  const delta = before !== undefined && reading.total >= before ? reading.total - before : reading.total;
  const writers = reading.entries.map((e) => `${e.username} ${e.command} ×${fmt(e.count)}`);
  const note =
    reading.entries.length === 0
      ? 'no write refused since the fence'
      : `${fmt(delta)} refused since the previous sample; since the fence: ${joinCauses(writers, 5)}`;
  return {
    ...sample,
    derived: { ...sample.derived, [REFUSED_WRITES_METRIC]: delta },
    notes: { ...sample.notes, [REFUSED_WRITES_METRIC]: note },
    checks: { ...sample.checks, [CHECK_KEY]: { total: reading.total } },
  };
}

function previousTotal(previous: Sample | undefined): number | undefined {
  const kept = previous?.checks?.[CHECK_KEY] as { total?: unknown } | undefined;
  return typeof kept?.total === 'number' ? kept.total : undefined;
}

/** An ACL LOG entry (a flat [key, value, …] array) as an object. */
function toRecord(raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(raw)) for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = raw[i + 1];
  return out;
}
