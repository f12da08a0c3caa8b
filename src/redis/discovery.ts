import type { Redis } from 'ioredis';
import { formatAddress, type HostPort, parseAddress } from './options.js';

/** A node of a cluster-mode target, as the cluster reports it. */
export interface ClusterNode extends HostPort {
  address: string;
  role: 'master' | 'replica';
  /** `online`, `failed`, `loading`… (CLUSTER SHARDS health; from flags with CLUSTER NODES). */
  health: string;
}

/**
 * Every node of a cluster (masters and replicas), from CLUSTER SHARDS (Redis ≥ 7), or CLUSTER NODES
 * on older servers. With TLS, the TLS port is taken when the server reports one.
 */
export async function clusterTopology(client: Redis, tls: boolean): Promise<ClusterNode[]> {
  let shards: unknown;
  try {
    shards = await client.call('CLUSTER', 'SHARDS');
  } catch {
    return parseClusterNodes(String(await client.call('CLUSTER', 'NODES')));
  }
  return parseClusterShards(shards, tls);
}

/** Parses the RESP2 reply of CLUSTER SHARDS (arrays of alternating field names and values). */
export function parseClusterShards(reply: unknown, tls: boolean): ClusterNode[] {
  const out: ClusterNode[] = [];
  if (!Array.isArray(reply)) return out;
  for (const shard of reply) {
    const fields = pairs(shard);
    const nodes = fields.get('nodes');
    if (!Array.isArray(nodes)) continue;
    const slots = fields.get('slots');
    const servesSlots = Array.isArray(slots) && slots.length > 0;
    for (const raw of nodes) {
      const node = pairs(raw);
      if (
        isRetiredNode(servesSlots, str(node.get('health')) === 'fail' || str(node.get('health')) === 'failed')
      )
        continue;
      const endpoint = str(node.get('endpoint'));
      const host = endpoint && endpoint !== '?' ? endpoint : str(node.get('ip'));
      const port = Number((tls ? node.get('tls-port') : undefined) ?? node.get('port'));
      if (!host || !Number.isInteger(port) || port <= 0) continue;
      out.push({
        host,
        port,
        address: formatAddress({ host, port }),
        role: str(node.get('role')) === 'master' ? 'master' : 'replica',
        health: str(node.get('health')) ?? 'unknown',
      });
    }
  }
  return out;
}

/**
 * A node the cluster itself declared failed (`fail`, not a suspicion) in a shard that serves no slots: a
 * master whose replica took over, waiting to be replaced. It holds nothing anyone reads, so it is not
 * sampled; counting it as unread would make every sample partial — and stop the soak clock — until the
 * node is replaced, on a cluster that serves every slot. A failed node of a shard that does serve slots
 * (a dead replica, a master not yet failed over) stays listed: unread, so the sample stays partial.
 */
function isRetiredNode(servesSlots: boolean, failed: boolean): boolean {
  return failed && !servesSlots;
}

/** Parses CLUSTER NODES text: `id ip:port@cport[,hostname] flags master …`. */
export function parseClusterNodes(text: string): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const line of text.split('\n')) {
    const [, addr, flags, , , , , , ...slots] = line.trim().split(' ');
    if (!addr || !flags) continue;
    const [ipPort = '', hostname] = addr.split(',');
    const hp = parseAddress(ipPort.split('@')[0] ?? '');
    if (!hp) continue;
    const host = hostname || hp.host;
    const flagList = flags.split(',');
    if (flagList.includes('noaddr') || flagList.includes('handshake')) continue;
    if (flagList.includes('master') && isRetiredNode(slots.length > 0, flagList.includes('fail'))) continue;
    out.push({
      host,
      port: hp.port,
      address: formatAddress({ host, port: hp.port }),
      role: flagList.includes('master') ? 'master' : 'replica',
      health: flagList.includes('fail') ? 'fail' : flagList.includes('fail?') ? 'fail?' : 'online',
    });
  }
  return out;
}

/** The primary Sentinel currently names for `name`. */
export async function sentinelPrimary(sentinel: Redis, name: string): Promise<HostPort | undefined> {
  const reply = await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
  if (!Array.isArray(reply) || reply.length < 2) return undefined;
  const port = Number(reply[1]);
  return Number.isInteger(port) ? { host: String(reply[0]), port } : undefined;
}

function pairs(value: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(value)) return out;
  for (let i = 0; i + 1 < value.length; i += 2) out.set(String(value[i]), value[i + 1]);
  return out;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  if (typeof value === 'number') return String(value);
  return undefined;
}
