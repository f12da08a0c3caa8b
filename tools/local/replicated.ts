import type { Redis } from 'ioredis';
import { authDirectives, configDirectives, makeRoot, topologyStopper } from './common.js';
import { LocalRedisError } from './errors.js';
import { type LocalNode, parseInfo, q, startNode, waitFor, withAdmin } from './node.js';
import type { Replicated, ReplicatedOptions } from './types.js';

const SETUP_TIMEOUT_MS = 20_000;

/** Starts a primary, its replicas and Sentinels (fast timings) and waits until Sentinel sees them all. */
export async function startReplicated(opts: ReplicatedOptions = {}): Promise<Replicated> {
  const replicaCount = count('replicas', opts.replicas, 1, 0);
  const sentinelCount = count('sentinels', opts.sentinels, 1, 1);
  const quorum = count('quorum', opts.quorum, 1, 1);
  const masterName = opts.masterName ?? 'mymaster';
  if (!/^[A-Za-z0-9._-]+$/.test(masterName)) {
    throw new LocalRedisError(`masterName: "${masterName}" must be letters, digits, dot, dash or underscore`);
  }
  const root = makeRoot('replicated');
  const nodes: LocalNode[] = [];
  const sentinels: LocalNode[] = [];
  const stopper = topologyStopper(root, () => [...nodes, ...sentinels]);
  try {
    const auth = authDirectives(root, opts.password, undefined);
    // masterauth on every data node: after a failover the old primary becomes a replica.
    const dataDirectives = [
      ...auth.directives,
      ...(opts.password ? [`masterauth ${q(opts.password)}`] : []),
      ...configDirectives(opts.config),
    ];
    const primary = await startNode({
      name: 'primary',
      root,
      auth: auth.admin,
      directives: () => dataDirectives,
    });
    nodes.push(primary);
    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, (_, i) =>
        startNode({
          name: `replica-${i + 1}`,
          root,
          auth: auth.admin,
          directives: () => [...dataDirectives, `replicaof 127.0.0.1 ${primary.port}`],
        }),
      ),
    );
    nodes.push(...replicas);
    await Promise.all(replicas.map((r) => waitLinkUp(r, primary)));

    const sentinelDirectives = [
      `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} ${quorum}`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(opts.password ? [`sentinel auth-pass ${masterName} ${q(opts.password)}`] : []),
    ];
    sentinels.push(
      ...(await Promise.all(
        Array.from({ length: sentinelCount }, (_, i) =>
          startNode({
            name: `sentinel-${i + 1}`,
            root,
            sentinel: true,
            directives: () => sentinelDirectives,
          }),
        ),
      )),
    );
    await Promise.all(
      sentinels.map((s) => waitSentinelSees(s, masterName, primary, replicas, sentinelCount)),
    );

    const topology: Replicated = {
      primary,
      replicas,
      sentinels,
      masterName,
      failover: async (timeoutMs = 30_000) => {
        const next = await failover(nodes, sentinels, masterName, timeoutMs);
        topology.primary = next.primary;
        topology.replicas = nodes.filter((n) => n !== next.primary);
        return { host: next.primary.host, port: next.primary.port };
      },
      stop: () => stopper.stop(),
    };
    return topology;
  } catch (error) {
    await stopper.stop();
    throw error;
  }
}

function count(field: string, value: number | undefined, fallback: number, min: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min || n > 16) {
    throw new LocalRedisError(`${field}: expected an integer from ${min} to 16, got ${String(value)}`);
  }
  return n;
}

async function info(node: LocalNode, section: string): Promise<Map<string, string>> {
  return parseInfo(await withAdmin(node, (c) => c.info(section)));
}

/** Waits until `replica` replicates from `primary` with the link up. */
export function waitLinkUp(
  replica: LocalNode,
  primary: LocalNode,
  timeoutMs = SETUP_TIMEOUT_MS,
): Promise<true> {
  return waitFor(
    `${replica.name} (127.0.0.1:${replica.port}) to replicate from 127.0.0.1:${primary.port}`,
    async () => {
      const r = await info(replica, 'replication');
      return r.get('role') === 'slave' &&
        r.get('master_port') === String(primary.port) &&
        r.get('master_link_status') === 'up'
        ? true
        : undefined;
    },
    timeoutMs,
  );
}

/** SENTINEL replies are flat [k1, v1, k2, v2…] arrays. */
function pairs(reply: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out.set(String(reply[i]), String(reply[i + 1]));
  return out;
}

async function masterAddr(client: Redis, masterName: string): Promise<number | undefined> {
  const reply = await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName);
  return Array.isArray(reply) && reply.length === 2 ? Number(reply[1]) : undefined;
}

function waitSentinelSees(
  sentinel: LocalNode,
  masterName: string,
  primary: LocalNode,
  replicas: LocalNode[],
  sentinelCount: number,
): Promise<true> {
  return waitFor(
    `${sentinel.name} to see primary 127.0.0.1:${primary.port}, ${replicas.length} replica(s) and ${sentinelCount - 1} other sentinel(s)`,
    () =>
      withAdmin(sentinel, async (c) => {
        if ((await masterAddr(c, masterName)) !== primary.port) return undefined;
        const seen = ((await c.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(pairs);
        const healthy = replicas.every((r) =>
          seen.some(
            (s) =>
              s.get('port') === String(r.port) &&
              s.get('master-link-status') === 'ok' &&
              !/s_down|o_down|disconnected/.test(s.get('flags') ?? ''),
          ),
        );
        if (!healthy) return undefined;
        const others = (await c.call('SENTINEL', 'SENTINELS', masterName)) as unknown[];
        return others.length >= sentinelCount - 1 ? true : undefined;
      }),
    SETUP_TIMEOUT_MS,
    200,
  );
}

async function failover(
  nodes: LocalNode[],
  sentinels: LocalNode[],
  masterName: string,
  timeoutMs: number,
): Promise<{ primary: LocalNode }> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const sentinel = sentinels.find((s) => !s.exited);
  if (!sentinel) throw new LocalRedisError('failover: no Sentinel is running');
  const oldPort = await withAdmin(sentinel, (c) => masterAddr(c, masterName));
  const oldPrimary = nodes.find((n) => n.port === oldPort);

  // NOGOODSLAVE / INPROG are transient right after a previous failover: retry until the deadline.
  await waitFor(
    `Sentinel to accept SENTINEL FAILOVER ${masterName}`,
    () =>
      withAdmin(sentinel, async (c) =>
        (await c.call('SENTINEL', 'FAILOVER', masterName)) ? true : undefined,
      ),
    left(),
    250,
  );
  const newPort = await waitFor(
    `Sentinels to report a new primary for ${masterName} (was 127.0.0.1:${oldPort})`,
    async () => {
      const ports = await Promise.all(
        sentinels.filter((s) => !s.exited).map((s) => withAdmin(s, (c) => masterAddr(c, masterName))),
      );
      const first = ports[0];
      return first !== undefined && first !== oldPort && ports.every((p) => p === first) ? first : undefined;
    },
    left(),
  );
  const newPrimary = nodes.find((n) => n.port === newPort);
  if (!newPrimary) throw new LocalRedisError(`failover: Sentinel promoted unknown node 127.0.0.1:${newPort}`);
  await waitFor(
    `${newPrimary.name} (127.0.0.1:${newPort}) to report role:master`,
    async () => ((await info(newPrimary, 'replication')).get('role') === 'master' ? true : undefined),
    left(),
  );
  if (oldPrimary && !oldPrimary.exited) {
    // Sentinel turns a returning old primary into a replica only after ~8 s plus an INFO period of
    // 10 s; issuing the same REPLICAOF it would send keeps failover() fast. A frozen or dead old
    // primary does not answer: nothing to wait for then.
    const answered = await withAdmin(oldPrimary, (c) =>
      c.call('REPLICAOF', '127.0.0.1', String(newPort)),
    ).then(
      () => true,
      () => false,
    );
    if (answered) await waitLinkUp(oldPrimary, newPrimary, left());
  }
  return { primary: newPrimary };
}
