import { Redis } from 'ioredis';
import type { Policy } from '../../../src/config/schema.js';
import {
  type ClusterTopology,
  type RedisProcess,
  type Replicated,
  type Standalone,
  startCluster,
  startReplicated,
  startStandalone,
} from '../../../tools/local/index.js';
import type { ConfigInput } from './drivers.js';
import { compressDuration, scenarioPolicy } from './policy.js';

/**
 * The production-like topology: a legacy primary + replica behind Sentinel with three dbs mapped to
 * prefixes, a 3-shard cluster target with a replica per shard and ElastiCache-like memory settings
 * (maxmemory, volatile-lru), replicas authenticating as a replication user, and a state store.
 */
export const DB_MAP: Readonly<Record<string, string>> = { '0': '', '1': 'svc1:', '2': 'svc2:' };
export const LEGACY_DBS = [0, 1, 2];
export const TARGET_MAXMEMORY = '64mb';
export const REPLICATION_USER = { username: 'replicator', password: 'replicator-secret' };
export const ALERT_TOPIC = 'arn:aws:sns:us-east-1:000000000000:soakwatch-alerts';
export const RELEASE_TOPIC = 'arn:aws:sns:us-east-1:000000000000:soakwatch-release';
export const STORE_PREFIX = 'scenario:';
/** Keys per legacy db before the run starts. */
export const SEED_PER_DB = 5_000;

export function startLegacy(): Promise<Replicated> {
  return startReplicated({ replicas: 1, sentinels: 1 });
}

export function startTarget(): Promise<ClusterTopology> {
  return startCluster({
    masters: 3,
    replicasPerMaster: 1,
    config: { maxmemory: TARGET_MAXMEMORY, 'maxmemory-policy': 'volatile-lru' },
    replicationUser: REPLICATION_USER,
  });
}

export function startStateStore(): Promise<Standalone> {
  return startStandalone();
}

export const entryOf = (target: ClusterTopology): { host: string; port: number } => {
  const m = target.masters[0];
  if (!m) throw new Error('the target has no master');
  return { host: m.host, port: m.port };
};

/** One tenant of the scenario config, as a user would write it. */
export function tenantInput(opts: {
  id: string;
  legacy: Replicated;
  target: ClusterTopology;
  /** Every CDC replica attached to this legacy (all of them are CDC tools, not legacy replicas). */
  cdcReplicas: string[];
  policy?: Policy;
}): Record<string, unknown> {
  const sentinel = opts.legacy.sentinels[0];
  if (!sentinel) throw new Error('the legacy has no Sentinel');
  return {
    id: opts.id,
    legacy: {
      sentinel: { hosts: [`127.0.0.1:${sentinel.port}`], name: opts.legacy.masterName },
      dbs: LEGACY_DBS,
      cdcReplicas: opts.cdcReplicas,
    },
    target: { url: opts.target.url, cluster: true, dbMap: { ...DB_MAP } },
    soak: opts.policy ?? scenarioPolicy(),
  };
}

/** The whole config: defaults everywhere but the store, the topics and the compressed repeat period. */
export function configInput(storeUrl: string, tenants: Record<string, unknown>[]): ConfigInput {
  return {
    stateStore: { url: storeUrl, keyPrefix: STORE_PREFIX },
    notifications: {
      alertTopicArn: ALERT_TOPIC,
      releaseTopicArn: RELEASE_TOPIC,
      repeatEvery: compressDuration(30 * 60_000),
    },
    tenants,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** INFO of one node, parsed. */
export async function nodeInfo(node: { port: number }, section: string): Promise<Map<string, string>> {
  const c = new Redis({
    port: node.port,
    lazyConnect: true,
    disableClientInfo: true,
    connectionName: 'scenario-admin',
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const text = await c.info(section);
    const out = new Map<string, string>();
    for (const line of text.split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
    }
    return out;
  } finally {
    c.disconnect();
  }
}

/** Runs commands on one node with a short-lived admin connection. */
export async function onNode<T>(node: { port: number }, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({
    port: node.port,
    lazyConnect: true,
    disableClientInfo: true,
    connectionName: 'scenario-admin',
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** Polls until `check` holds (or fails after `timeoutMs`); returns the time it first held. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The replica of `master` in the topology. */
export async function replicaOf(target: ClusterTopology, master: RedisProcess): Promise<RedisProcess> {
  for (const r of target.replicas) {
    const info = await nodeInfo(r, 'replication');
    if (info.get('master_port') === String(master.port)) return r;
  }
  throw new Error(`no replica of 127.0.0.1:${master.port}`);
}
