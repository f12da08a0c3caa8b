import type { Cluster, Redis } from 'ioredis';
import type { TenantConfig } from '../config/schema.js';
import { redactUrl } from '../util/redact.js';
import { type ClusterNode, clusterTopology, sentinelPrimary } from './discovery.js';
import { describeFailure, RedisConnectionError } from './errors.js';
import { openClusterClient, openNodeClient } from './nodeClient.js';
import {
  clusterOptions,
  formatAddress,
  type HostPort,
  nodeOptions,
  resolveSideAuth,
  type SideAuth,
  type Timeouts,
  urlAddress,
} from './options.js';
import { TrafficLedger } from './ownTraffic.js';
import { createSecretResolver, type SecretResolver } from './secrets.js';

export interface ConnectionPoolOptions extends Timeouts {
  secrets?: SecretResolver;
}

/** Connections to the legacy cluster of one tenant. */
export interface LegacyHandle {
  readonly tenant: string;
  readonly via: 'url' | 'sentinel';
  /** Asks Sentinel for the current primary (with a URL: the URL's node). */
  locatePrimary(): Promise<HostPort>;
  /** Replicas last seen online on the primary (set by the sampler; CDC tools excluded). */
  replicas: HostPort[];
  /** The last primary located. */
  primary: HostPort | undefined;
  /** A direct connection to one node, SELECTing `db`. */
  node(address: HostPort, db?: number): Promise<Redis>;
  /**
   * A connection to legacy db `db`: for `read`, an online replica when there is one (else the
   * primary); for `write`, the primary.
   */
  legacyDb(db: number, use?: 'read' | 'write'): Promise<Redis>;
  /** Adds the connections this handle holds (nodes, Sentinels) to `into`, per node address. */
  countConnections(into: Map<string, number>): void;
  close(): Promise<void>;
}

/** Connections to the target cluster of one tenant. */
export interface TargetHandle {
  readonly tenant: string;
  readonly cluster: boolean;
  /** The URL's node: the primary endpoint, or the configuration endpoint in cluster mode. */
  readonly entry: HostPort;
  /**
   * Cluster mode: every master and replica, asked of a node that answers (those in `prefer` first,
   * e.g. the nodes that just answered the sampler, then the URL's node and the known online ones).
   */
  topology(prefer?: readonly HostPort[]): Promise<ClusterNode[]>;
  /** Nodes last discovered (cluster mode) — the sampler's starting point. */
  nodes: ClusterNode[];
  node(address: HostPort, db?: number): Promise<Redis>;
  /** The main client: an ioredis Cluster in cluster mode, else the entry node. */
  main(): Promise<Redis | Cluster>;
  /** Adds the connections this handle holds (direct node clients, the cluster client's nodes) to `into`, per node address. */
  countConnections(into: Map<string, number>): void;
  close(): Promise<void>;
}

/** Connections reused across warm Lambda invocations, keyed by tenant and side. */
export interface ConnectionPool {
  /** What soakwatch sent to each node, to take its own traffic out of the node's counters. */
  readonly ledger: TrafficLedger;
  readonly timeouts: Timeouts;
  legacy(tenant: TenantConfig): Promise<LegacyHandle>;
  target(tenant: TenantConfig): Promise<TargetHandle>;
  /** Tenants with open handles, least recently used first. */
  tenants(): string[];
  /** Closes one tenant's connections (a warm container keeps only its recent tenants'). */
  closeTenant(tenantId: string): Promise<void>;
  /** Connections open now to tenants' nodes (direct node clients and cluster clients' nodes). */
  openConnections(): number;
  /** The same, per node address (`host:port`): what each node sees of this process (the census, docs/scaling.md). */
  openConnectionsByNode(): Map<string, number>;
  closeAll(): Promise<void>;
}

/** Direct node connections of one side, rebuilt when they are not `ready`. */
class NodeClients {
  private readonly clients = new Map<string, Promise<Redis>>();

  constructor(
    private readonly auth: SideAuth,
    private readonly timeouts: Timeouts,
    private readonly ledger: TrafficLedger | undefined,
  ) {}

  async get(node: HostPort, db = 0): Promise<Redis> {
    const address = formatAddress(node);
    const key = `${address}/${db}`;
    const existing = this.clients.get(key);
    if (existing) {
      const client = await existing.catch(() => undefined);
      if (client?.status === 'ready') return client;
      client?.disconnect();
      if (this.clients.get(key) === existing) this.clients.delete(key);
      else return this.get(node, db);
    }
    const opening = openNodeClient(
      address,
      nodeOptions(node, this.auth, this.timeouts, db),
      this.ledger,
      this.timeouts.connectTimeoutMs + this.timeouts.commandTimeoutMs,
    );
    this.clients.set(key, opening);
    opening.catch(() => {
      if (this.clients.get(key) === opening) this.clients.delete(key);
    });
    return opening;
  }

  /** Adds the connections held (open or opening) to `into`, per node address. */
  countInto(into: Map<string, number>): void {
    for (const key of this.clients.keys()) {
      const address = key.slice(0, key.lastIndexOf('/'));
      into.set(address, (into.get(address) ?? 0) + 1);
    }
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      all.map(async (p) => {
        const client = await p.catch(() => undefined);
        client?.disconnect();
      }),
    );
  }
}

/** Creates a pool. Secrets default to inline/env only (no Secrets Manager client). */
export function createConnectionPool(opts: ConnectionPoolOptions): ConnectionPool {
  const secrets = opts.secrets ?? createSecretResolver();
  const timeouts: Timeouts = {
    connectTimeoutMs: opts.connectTimeoutMs,
    commandTimeoutMs: opts.commandTimeoutMs,
  };
  const ledger = new TrafficLedger();
  const handles = new Map<
    string,
    {
      fingerprint: string;
      handle: Promise<LegacyHandle | TargetHandle>;
      /** The handle once built: its connections are counted without awaiting. */
      settled?: LegacyHandle | TargetHandle;
    }
  >();

  function openConnectionsByNode(): Map<string, number> {
    const byNode = new Map<string, number>();
    for (const { settled } of handles.values()) settled?.countConnections(byNode);
    return byNode;
  }

  async function cached<T extends LegacyHandle | TargetHandle>(
    key: string,
    fingerprint: string,
    build: () => Promise<T>,
  ): Promise<T> {
    const hit = handles.get(key);
    if (hit && hit.fingerprint === fingerprint) {
      // Re-inserted: the Map's order is the order tenants were last used in.
      handles.delete(key);
      handles.set(key, hit);
      return (await hit.handle) as T;
    }
    if (hit) await (await hit.handle.catch(() => undefined))?.close();
    const handle = build();
    const entry: { fingerprint: string; handle: Promise<T>; settled?: T } = { fingerprint, handle };
    handles.set(key, entry);
    handle.then(
      (h) => {
        entry.settled = h;
      },
      () => undefined,
    );
    handle.catch(() => {
      if (handles.get(key)?.handle === handle) handles.delete(key);
    });
    return handle;
  }

  return {
    ledger,
    timeouts,
    legacy: (tenant) =>
      cached(`${tenant.id}:legacy`, JSON.stringify(tenant.legacy), () =>
        buildLegacy(tenant, secrets, timeouts, ledger),
      ),
    target: (tenant) =>
      cached(`${tenant.id}:target`, JSON.stringify(tenant.target), () =>
        buildTarget(tenant, secrets, timeouts),
      ),
    tenants() {
      const seen = new Set<string>();
      for (const key of handles.keys()) {
        const tenant = key.slice(0, key.lastIndexOf(':'));
        seen.delete(tenant);
        seen.add(tenant);
      }
      return [...seen];
    },
    async closeTenant(tenantId) {
      const mine = [`${tenantId}:legacy`, `${tenantId}:target`].flatMap((key) => {
        const hit = handles.get(key);
        handles.delete(key);
        return hit ? [hit.handle] : [];
      });
      await Promise.all(mine.map(async (h) => (await h.catch(() => undefined))?.close()));
    },
    openConnections() {
      let count = 0;
      for (const n of openConnectionsByNode().values()) count += n;
      return count;
    },
    openConnectionsByNode,
    async closeAll() {
      const all = [...handles.values()];
      handles.clear();
      await Promise.all(all.map(async (h) => (await h.handle.catch(() => undefined))?.close()));
    },
  };
}

async function buildLegacy(
  tenant: TenantConfig,
  secrets: SecretResolver,
  timeouts: Timeouts,
  ledger: TrafficLedger,
): Promise<LegacyHandle> {
  const cfg = tenant.legacy;
  const auth = await resolveSideAuth(cfg, secrets);
  const nodes = new NodeClients(auth, timeouts, ledger);
  const sentinelCfg = cfg.sentinel;
  const sentinelAuth: SideAuth | undefined = sentinelCfg
    ? {
        username: sentinelCfg.username,
        password: sentinelCfg.password ? await secrets.resolve(sentinelCfg.password) : undefined,
        tls: auth.tls,
      }
    : undefined;
  const sentinels = sentinelAuth ? new NodeClients(sentinelAuth, timeouts, ledger) : undefined;
  let preferred = 0;

  const handle: LegacyHandle = {
    tenant: tenant.id,
    via: sentinelCfg ? 'sentinel' : 'url',
    replicas: [],
    primary: undefined,
    async locatePrimary() {
      if (!sentinelCfg || !sentinels) {
        handle.primary = urlAddress(cfg.url ?? '');
        return handle.primary;
      }
      const failures: string[] = [];
      // The Sentinel that answered last is asked first; the others in turn when it does not answer.
      for (let i = 0; i < sentinelCfg.hosts.length; i++) {
        const index = (preferred + i) % sentinelCfg.hosts.length;
        const host = sentinelCfg.hosts[index];
        if (!host) continue;
        try {
          const client = await sentinels.get(host);
          const found = await sentinelPrimary(client, sentinelCfg.name);
          if (!found) {
            failures.push(`${formatAddress(host)} does not know master "${sentinelCfg.name}"`);
            continue;
          }
          preferred = index;
          handle.primary = found;
          return found;
        } catch (error) {
          failures.push(describeFailure(error));
        }
      }
      throw new RedisConnectionError(
        sentinelCfg.hosts.map(formatAddress).join(','),
        `no Sentinel named the primary of "${sentinelCfg.name}": ${failures.join('; ')}`,
      );
    },
    node: (address, db = 0) => nodes.get(address, db),
    async legacyDb(db, use = 'read') {
      if (use === 'read') {
        for (const replica of handle.replicas) {
          try {
            return await nodes.get(replica, db);
          } catch {
            // A replica that does not answer: try the next one, then the primary.
          }
        }
      }
      const primary = handle.primary ?? (await handle.locatePrimary());
      return nodes.get(primary, db);
    },
    countConnections(into) {
      nodes.countInto(into);
      sentinels?.countInto(into);
    },
    async close() {
      await Promise.all([nodes.close(), sentinels?.close()]);
    },
  };
  return handle;
}

async function buildTarget(
  tenant: TenantConfig,
  secrets: SecretResolver,
  timeouts: Timeouts,
): Promise<TargetHandle> {
  const cfg = tenant.target;
  const auth = await resolveSideAuth(cfg, secrets);
  // Target traffic is not subtracted from anything, so it is not counted.
  const nodes = new NodeClients(auth, timeouts, undefined);
  const entry = urlAddress(cfg.url);
  let cluster: Promise<Cluster> | undefined;
  let clusterClient: Cluster | undefined;

  const handle: TargetHandle = {
    tenant: tenant.id,
    cluster: cfg.cluster,
    entry,
    nodes: [],
    async topology(prefer = []) {
      const seen = new Set<string>();
      const candidates = [...prefer, entry, ...handle.nodes.filter((n) => n.health === 'online')].filter(
        (n) => {
          const address = formatAddress(n);
          if (seen.has(address)) return false;
          seen.add(address);
          return true;
        },
      );
      const failures: string[] = [];
      for (const candidate of candidates.slice(0, 3)) {
        try {
          const client = await nodes.get(candidate);
          const found = await clusterTopology(client, auth.tls !== undefined);
          if (found.length > 0) {
            handle.nodes = found;
            return found;
          }
        } catch (error) {
          failures.push(describeFailure(error));
        }
      }
      throw new RedisConnectionError(
        redactUrl(cfg.url),
        `could not read the cluster topology: ${failures.join('; ') || 'no nodes'}`,
      );
    },
    node: (address, db = 0) => nodes.get(address, db),
    async main() {
      if (!cfg.cluster) return nodes.get(entry);
      const current = cluster ? await cluster.catch(() => undefined) : undefined;
      if (current?.status === 'ready') return current;
      current?.disconnect();
      // The masters known from the sampler's topology too: a frozen entry node does not blind the client.
      const seeds = [
        entry,
        ...handle.nodes.filter((n) => n.role === 'master' && n.health === 'online'),
      ].filter((n, i, all) => all.findIndex((m) => m.host === n.host && m.port === n.port) === i);
      const opening = openClusterClient(
        redactUrl(cfg.url),
        seeds.map(({ host, port }) => ({ host, port })),
        clusterOptions(auth, timeouts),
        timeouts.connectTimeoutMs + 2 * timeouts.commandTimeoutMs,
      );
      cluster = opening;
      opening.then(
        (c) => {
          if (cluster === opening) clusterClient = c;
        },
        () => undefined,
      );
      return opening;
    },
    countConnections(into) {
      nodes.countInto(into);
      if (clusterClient?.status !== 'ready') return;
      for (const n of clusterClient.nodes('all')) {
        const address = formatAddress({ host: String(n.options.host), port: Number(n.options.port) });
        into.set(address, (into.get(address) ?? 0) + 1);
      }
    },
    async close() {
      clusterClient = undefined;
      const c = cluster ? await cluster.catch(() => undefined) : undefined;
      c?.disconnect();
      cluster = undefined;
      await nodes.close();
    },
  };
  return handle;
}
