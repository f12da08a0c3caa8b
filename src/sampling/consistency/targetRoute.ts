import calculateSlot from 'cluster-key-slot';

import type { Cluster, Redis } from 'ioredis';
import { type BinKey, binToArg } from './binaryKey.js';
import { ConsistencyError } from './errors.js';
import { type DigestOptions, type DigestRequest, type KeyDigest, runDigest } from './runDigest.js';

/** The target: a standalone node or a cluster-mode client. */
export type Target = Redis | Cluster;

export function isCluster(target: Target): target is Cluster {
  return target.isCluster;
}

function nodeKey(client: Redis): string {
  return `${client.options.host ?? ''}:${client.options.port ?? ''}`;
}

/** The masters of the target (the node itself when standalone). */
export function mastersOf(target: Target): Redis[] {
  return isCluster(target) ? target.nodes('master') : [target];
}

/** Address of a master, as `host:port`. */
export function addressOf(client: Redis): string {
  return nodeKey(client);
}

/**
 * Groups keys by the master that owns their slot (ioredis's slot table + CRC16 from
 * cluster-key-slot). Returns master → indexes into `keys`.
 */
export function groupByMaster(target: Target, keys: readonly BinKey[]): Map<Redis, number[]> {
  const groups = new Map<Redis, number[]>();
  if (!isCluster(target)) {
    groups.set(
      target,
      keys.map((_, i) => i),
    );
    return groups;
  }
  const byAddress = new Map<string, Redis>();
  for (const m of target.nodes('master')) byAddress.set(nodeKey(m), m);
  keys.forEach((key, i) => {
    // An ASCII key is hashed as a string (no Buffer per key); cluster-key-slot encodes strings as UTF-8.
    const slot = calculateSlot(binToArg(key));
    const owner = target.slots[slot]?.[0];
    const master = owner === undefined ? undefined : byAddress.get(owner);
    if (!master) throw new ConsistencyError(`no master known for slot ${slot} of the target cluster`);
    const list = groups.get(master);
    if (list) list.push(i);
    else groups.set(master, [i]);
  });
  return groups;
}

async function refreshSlots(target: Cluster): Promise<void> {
  await new Promise<void>((resolve) => target.refreshSlotsCache(() => resolve()));
}

/**
 * Digests keys on the target: one budgeted script stream per master, masters in parallel.
 * On a cluster, a failed node batch (a slot moved during resharding) is retried once after a
 * slot-table refresh. `nodes`, when given, receives the address of the master each key was read on.
 */
export async function digestOnTarget(
  target: Target,
  requests: readonly DigestRequest[],
  opts: DigestOptions = {},
  nodes?: string[],
): Promise<KeyDigest[]> {
  const attempt = async (): Promise<KeyDigest[]> => {
    const out: KeyDigest[] = new Array(requests.length);
    const groups = groupByMaster(
      target,
      requests.map((r) => r.key),
    );
    await Promise.all(
      [...groups].map(async ([master, idxs]) => {
        const res = await runDigest(
          master,
          idxs.map((i) => requests[i] as DigestRequest),
          opts,
        );
        const address = nodes ? addressOf(master) : '';
        idxs.forEach((i, j) => {
          out[i] = res[j] as KeyDigest;
          if (nodes) nodes[i] = address;
        });
      }),
    );
    return out;
  };
  if (!isCluster(target)) return attempt();
  try {
    return await attempt();
  } catch {
    await refreshSlots(target);
    return attempt();
  }
}
