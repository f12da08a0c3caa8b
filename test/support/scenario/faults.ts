import type { ClusterTopology, RedisProcess } from '../../../tools/local/index.js';
import { nodeInfo, onNode, REPLICATION_USER, replicaOf, until } from './world.js';

/**
 * Faults of the target cluster. Each returns when the fault is in place, with the time its evidence
 * first existed on the node (what a correct sampler could see from then on).
 */

/** Lowers one master's maxmemory below what it uses: volatile-lru evicts from the next write on. */
export async function startEvictions(master: RedisProcess): Promise<{ firstEvictionAt: number }> {
  const before = Number((await nodeInfo(master, 'stats')).get('evicted_keys') ?? 0);
  const used = Number((await nodeInfo(master, 'memory')).get('used_memory') ?? 0);
  await onNode(master, (c) => c.config('SET', 'maxmemory', String(Math.floor(used * 0.9))));
  const firstEvictionAt = await until(`evictions on 127.0.0.1:${master.port}`, async () => {
    const evicted = Number((await nodeInfo(master, 'stats')).get('evicted_keys') ?? 0);
    return evicted > before;
  });
  return { firstEvictionAt };
}

/**
 * Takes one replica's link down for good: its master stops accepting the replication user, then the
 * link is killed; the replica reconnects, fails to authenticate and stays down.
 */
export async function breakReplicaLink(
  target: ClusterTopology,
  master: RedisProcess,
): Promise<{ replica: RedisProcess; downAt: number }> {
  const replica = await replicaOf(target, master);
  await onNode(master, async (c) => {
    await c.call('ACL', 'SETUSER', REPLICATION_USER.username, 'off');
    await c.call('CLIENT', 'KILL', 'TYPE', 'replica');
  });
  const downAt = await until(`the link of 127.0.0.1:${replica.port} down`, async () => {
    const info = await nodeInfo(replica, 'replication');
    return info.get('master_link_status') === 'down';
  });
  return { replica, downAt };
}

/** SIGSTOP for `ms`, then SIGCONT; resolves when frozen (the thaw runs in the background). */
export function freezeFor(node: RedisProcess, ms: number): { frozenAt: number; thawed: Promise<number> } {
  node.freeze();
  const frozenAt = Date.now();
  const thawed = new Promise<number>((resolve) =>
    setTimeout(() => {
      node.thaw();
      resolve(Date.now());
    }, ms),
  );
  return { frozenAt, thawed };
}
