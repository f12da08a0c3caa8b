import { Cluster, Redis } from 'ioredis';
import type { ClusterTopology, RedisProcess } from '../../../tools/local/index.js';

/** One connection per legacy db (the way the sampler hands them to the consistency code). */
export class LegacyDbs {
  private readonly clients = new Map<number, Redis>();
  constructor(private readonly node: { host: string; port: number }) {}
  get = (db: number): Redis => {
    let c = this.clients.get(db);
    if (!c) {
      c = new Redis({ host: this.node.host, port: this.node.port, db, lazyConnect: false });
      c.on('error', () => {});
      this.clients.set(db, c);
    }
    return c;
  };
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.quit().catch(() => undefined)));
    this.clients.clear();
  }
}

/** A cluster-mode client, connected and with its slot table loaded. */
export async function clusterClient(topology: ClusterTopology): Promise<Cluster> {
  const first = topology.masters[0] as RedisProcess;
  const cluster = new Cluster([{ host: first.host, port: first.port }], { enableReadyCheck: true });
  cluster.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', () => resolve());
    cluster.once('end', () => reject(new Error('cluster client ended before ready')));
  });
  return cluster;
}

/** FLUSHALL on every master of a cluster client (test isolation). */
export async function flushCluster(cluster: Cluster): Promise<void> {
  await Promise.all(cluster.nodes('master').map((m) => m.flushall()));
}
