import { authDirectives, configDirectives, makeRoot, topologyStopper } from './common.js';
import { LocalRedisError } from './errors.js';
import { type LocalNode, parseInfo, q, startNode, waitFor, withAdmin } from './node.js';
import { waitLinkUp } from './replicated.js';
import { generateTls } from './tls.js';
import type { ClusterOptions, ClusterTopology } from './types.js';

const SLOTS = 16_384;
const SETUP_TIMEOUT_MS = 30_000;

/** Starts a Redis Cluster (slots split evenly over the primaries) and waits until every node agrees it is ok. */
export async function startCluster(opts: ClusterOptions = {}): Promise<ClusterTopology> {
  const masterCount = opts.masters ?? 3;
  const perMaster = opts.replicasPerMaster ?? 1;
  if (!Number.isInteger(masterCount) || masterCount < 1 || masterCount > 16) {
    throw new LocalRedisError(`masters: expected an integer from 1 to 16, got ${String(opts.masters)}`);
  }
  if (!Number.isInteger(perMaster) || perMaster < 0 || perMaster > 4) {
    throw new LocalRedisError(`replicasPerMaster: expected an integer from 0 to 4, got ${String(perMaster)}`);
  }
  const root = makeRoot('cluster');
  const nodes: LocalNode[] = [];
  const stopper = topologyStopper(root, () => nodes);
  try {
    const tls = opts.tls ? await generateTls(root) : undefined;
    const auth = authDirectives(root, opts.password, undefined);
    const extra = configDirectives(opts.config);
    const replication = replicationDirectives(opts);
    const start = (name: string) =>
      startNode({
        name,
        root,
        tls,
        auth: auth.admin,
        busPort: true,
        directives: ({ busPort }) => [
          'cluster-enabled yes',
          `cluster-config-file ${q('nodes.conf')}`,
          // Short enough for failover tests, long enough not to flap on a busy 2-core machine.
          'cluster-node-timeout 3000',
          `cluster-port ${busPort}`,
          ...(tls ? ['tls-cluster yes', 'tls-replication yes'] : []),
          ...auth.directives,
          ...replication,
          ...extra,
        ],
      });
    const started = await Promise.allSettled([
      ...Array.from({ length: masterCount }, (_, i) => start(`master-${i + 1}`)),
      ...Array.from({ length: masterCount * perMaster }, (_, i) => start(`replica-${i + 1}`)),
    ]);
    for (const r of started) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const masters = nodes.slice(0, masterCount);
    const replicas = nodes.slice(masterCount);

    await assemble(masters, replicas, perMaster);
    return {
      masters,
      replicas,
      url: masters[0]?.url ?? '',
      ...(tls ? { tls: { caPem: tls.caPem, caFile: tls.caFile } } : {}),
      stop: () => stopper.stop(),
    };
  } catch (error) {
    await stopper.stop();
    throw error;
  }
}

/** masterauth for the default user's password, or a dedicated replication user (masteruser too). */
function replicationDirectives(opts: ClusterOptions): string[] {
  const user = opts.replicationUser;
  if (!user) return opts.password ? [`masterauth ${q(opts.password)}`] : [];
  if (!/^[A-Za-z0-9_.-]+$/.test(user.username))
    throw new LocalRedisError(
      `replicationUser.username: "${user.username}" must be letters, digits, dot, dash or underscore`,
    );
  if (!/^[^\s"'\\]+$/.test(user.password))
    throw new LocalRedisError(
      'replicationUser.password: must be non-empty, without spaces, quotes or backslashes',
    );
  return [
    // What a replica sends its primary: PING, REPLCONF and PSYNC, nothing else.
    `user ${user.username} on >${user.password} +psync +replconf +ping`,
    `masteruser ${q(user.username)}`,
    `masterauth ${q(user.password)}`,
  ];
}

/** What `redis-cli --cluster create`, step by step, with explicit bus ports. */
async function assemble(masters: LocalNode[], replicas: LocalNode[], perMaster: number): Promise<void> {
  const all = [...masters, ...replicas];
  const ids = await Promise.all(all.map((n) => withAdmin(n, (c) => c.call('CLUSTER', 'MYID')).then(String)));
  // Distinct config epochs up front, like redis-cli, so nodes need not resolve epoch collisions.
  await Promise.all(
    all.map((n, i) => withAdmin(n, (c) => c.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)))),
  );
  await Promise.all(
    masters.map((m, i) => {
      const first = Math.floor((SLOTS * i) / masters.length);
      const last = Math.floor((SLOTS * (i + 1)) / masters.length) - 1;
      return withAdmin(m, (c) => c.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last)));
    }),
  );
  const [seed, ...others] = all;
  if (!seed) throw new LocalRedisError('cluster: no node started');
  await withAdmin(seed, async (c) => {
    for (const n of others) await c.call('CLUSTER', 'MEET', '127.0.0.1', String(n.port), String(n.busPort));
  });
  await Promise.all(
    all.map((n) =>
      waitFor(
        `${n.name} (127.0.0.1:${n.port}) to know all ${all.length} cluster nodes`,
        () =>
          withAdmin(n, async (c) => {
            const lines = String(await c.call('CLUSTER', 'NODES'))
              .trim()
              .split('\n');
            const settled = lines.every((l) => !/handshake|noaddr|fail/.test(l.split(' ')[2] ?? ''));
            return lines.length === all.length && settled ? true : undefined;
          }),
        SETUP_TIMEOUT_MS,
      ),
    ),
  );
  // CLUSTER SLOTS hides replicas whose replication offset is still 0, and with no writes the offset
  // first moves at the replication PING (every 10 s by default): ping every second while assembling.
  const pingPeriods = await Promise.all(
    masters.map((m) =>
      withAdmin(m, async (c) => {
        const reply = (await c.call('CONFIG', 'GET', 'repl-ping-replica-period')) as unknown[];
        await c.call('CONFIG', 'SET', 'repl-ping-replica-period', '1');
        return String(reply[1] ?? '10');
      }),
    ),
  );
  await Promise.all(
    replicas.map((r, i) => {
      const masterId = ids[Math.floor(i / perMaster)];
      if (!masterId) throw new LocalRedisError(`cluster: no primary for ${r.name}`);
      return withAdmin(r, (c) => c.call('CLUSTER', 'REPLICATE', masterId));
    }),
  );
  await Promise.all(
    replicas.map((r, i) => {
      const master = masters[Math.floor(i / perMaster)];
      return master ? waitLinkUp(r, master, SETUP_TIMEOUT_MS) : undefined;
    }),
  );
  // Every node must agree: state ok, all nodes known, and a slot map listing each primary with all its
  // replicas — otherwise a cluster client may start from a node with a stale view.
  await Promise.all(
    all.map((n) =>
      waitFor(
        `${n.name} (127.0.0.1:${n.port}) to report cluster_state:ok with ${masters.length} primaries and ${replicas.length} replicas`,
        () =>
          withAdmin(n, async (c) => {
            const infoMap = parseInfo(String(await c.call('CLUSTER', 'INFO')));
            if (infoMap.get('cluster_state') !== 'ok') return undefined;
            if (infoMap.get('cluster_known_nodes') !== String(all.length)) return undefined;
            const slots = (await c.call('CLUSTER', 'SLOTS')) as unknown[][];
            const complete =
              slots.length === masters.length && slots.every((range) => range.length === 3 + perMaster);
            return complete ? true : undefined;
          }),
        SETUP_TIMEOUT_MS,
        150,
      ),
    ),
  );
  await Promise.all(
    masters.map((m, i) =>
      withAdmin(m, (c) => c.call('CONFIG', 'SET', 'repl-ping-replica-period', pingPeriods[i] ?? '10')),
    ),
  );
}
