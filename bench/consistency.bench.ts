/**
 * Consistency benchmark: legacy primary + replica and a 3+3 target cluster on loopback, identical
 * mixed data (strings, hashes, sets, zsets, lists, streams, TTLs, big collections) in two legacy dbs.
 * Measures spot-check keys/s beside a naive one-key-at-a-time compare, false mismatches per type,
 * and a full compare. `npx tsx bench/consistency.bench.ts [--smoke] [--keys N] [--full-only]`
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { binFromText } from '../src/sampling/consistency/binaryKey.js';
import { classify } from '../src/sampling/consistency/classify.js';
import { fullCompare } from '../src/sampling/consistency/fullCompare.js';
import { keyMapper } from '../src/sampling/consistency/keyMap.js';
import { type KeyPair, observe } from '../src/sampling/consistency/observe.js';
import { renderProgress } from '../src/sampling/consistency/progress.js';
import { newDigestStats } from '../src/sampling/consistency/runDigest.js';
import { spotCheck } from '../src/sampling/consistency/spotCheck.js';
import { loadMixed, type MixedData } from '../test/support/consistency/fixture.js';
import { startCluster, startReplicated } from '../tools/local/index.js';
import { schedDelta, schedOf } from './procSched.js';

export interface ConsistencyBenchResult {
  keys: number;
  loadMs: number;
  spotCheck: { checked: number; durationMs: number; keysPerSecond: number; mismatches: number };
  /** Server time per digest script call (TIME inside the script: wall time, so CPU contention shows). */
  digestServer: { calls: number; keys: number; p50CallUs: number; p99CallUs: number; maxCallUs: number };
  /**
   * What the calls over the 2 ms budget are, from the server's main-thread counters (/proc) read around
   * each call: preempted (involuntary context switch) or not, its CPU time (an upper bound: two legacy
   * dbs share one server, so two calls can overlap) and its runqueue wait. null where /proc is unreadable.
   */
  digestSched: {
    callsOverBudget: number;
    overBudgetPreempted: number;
    /** Calls over budget whose CPU-bounded duration is within the budget: the rest of their time was off-CPU. */
    overBudgetWithinBudgetOnCpu: number;
    /** Calls over budget that are within it once the server's runqueue wait during the call is taken out. */
    overBudgetWithinBudgetWithoutWait: number;
    p99CallUsNotPreempted: number;
    maxCallUsNotPreempted: number;
    /** The slowest calls: TIME µs, CPU µs, runqueue wait µs, preemptions, keys. */
    slowest: { us: number; cpuUs: number; waitUs: number; preempted: number; keys: number }[];
  } | null;
  /** 1-minute load average at the end (the machine is shared). */
  loadAverage: number;
  naive: { checked: number; durationMs: number; keysPerSecond: number };
  speedup: number;
  falseMismatchesByType: Record<string, { compared: number; mismatches: number }>;
  fullCompare: {
    scanned: number;
    checked: number;
    mismatches: number;
    durationMs: number;
    phaseMs: { legacy: number; target: number };
    /** CPU time spent during the compare (ms): this process and the servers it reads. Less noisy than wall time on a shared machine. */
    cpuMs: { node: number; legacyReplica: number; targetMasters: number };
  } | null;
}

const DB_MAP = { '0': '', '3': 'impact:' };

async function connectCluster(host: string, port: number): Promise<Cluster> {
  const cluster = new Cluster([{ host, port }]);
  cluster.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', () => resolve());
    cluster.once('end', () => reject(new Error('cluster client ended before ready')));
  });
  return cluster;
}

/** CPU time (ms) of server processes from /proc (utime + stime), per group; 0 where /proc is unreadable. */
function serverCpu<K extends string>(groups: Record<K, number[]>): Record<K, number> {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const out = {} as Record<K, number>;
  for (const [name, pids] of Object.entries(groups) as [K, number[]][]) {
    out[name] = pids.reduce((sum, pid) => {
      try {
        // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return sum + (Number(fields[11]) + Number(fields[12])) * tick;
      } catch {
        return sum;
      }
    }, 0);
  }
  return out;
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
}

function digestSched(
  calls: { us: number; cpuUs: number; waitUs: number; preempted: number; keys: number }[],
  budgetUs: number,
): NonNullable<ConsistencyBenchResult['digestSched']> {
  const over = calls.filter((c) => c.us > budgetUs);
  const calm = calls.filter((c) => c.preempted === 0).map((c) => c.us);
  return {
    callsOverBudget: over.length,
    overBudgetPreempted: over.filter((c) => c.preempted > 0).length,
    overBudgetWithinBudgetOnCpu: over.filter((c) => c.cpuUs <= budgetUs).length,
    overBudgetWithinBudgetWithoutWait: over.filter((c) => c.us - c.waitUs <= budgetUs).length,
    p99CallUsNotPreempted: percentile(calm, 0.99),
    maxCallUsNotPreempted: Math.max(0, ...calm),
    slowest: [...calls]
      .sort((a, b) => b.us - a.us)
      .slice(0, 5)
      .map((c) => ({ ...c, cpuUs: Math.round(c.cpuUs), waitUs: Math.round(c.waitUs) })),
  };
}

/** One key at a time, every command awaited: what a careless checker does. */
async function naiveCompare(legacy: Redis, target: Cluster, keys: string[], prefix: string): Promise<number> {
  let mismatches = 0;
  const read = async (c: Redis | Cluster, key: string) => {
    const type = await c.type(key);
    const pttl = await c.pttl(key);
    let value: unknown = null;
    if (type === 'string') value = await c.get(key);
    else if (type === 'hash') value = await c.hgetall(key);
    else if (type === 'set') value = (await c.smembers(key)).sort();
    else if (type === 'zset') value = await c.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'list') value = await c.lrange(key, 0, -1);
    else if (type === 'stream') value = await c.xrange(key, '-', '+');
    return { type, pttl, value: JSON.stringify(value) };
  };
  for (const key of keys) {
    const l = await read(legacy, key);
    const t = await read(target, prefix + key);
    if (l.type !== t.type || l.value !== t.value || Math.abs(l.pttl - t.pttl) > 1000) mismatches++;
  }
  return mismatches;
}

async function waitReplica(primary: Redis, replica: Redis): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const p = /master_repl_offset:(\d+)/.exec(await primary.info('replication'))?.[1];
    const r = /slave_repl_offset:(\d+)/.exec(await replica.info('replication'))?.[1];
    if (p !== undefined && p === r) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the legacy replica did not catch up');
}

/** Runs the benchmark on fresh loopback topologies and returns the measured numbers. */
export async function runConsistencyBench(opts: {
  smoke: boolean;
  keys: number;
  /** Only load the data and run the full compare (profiling). */
  fullOnly?: boolean;
}): Promise<ConsistencyBenchResult> {
  const total = opts.smoke ? Math.min(opts.keys, 50_000) : opts.keys;
  const legacyTopo = await startReplicated({ replicas: 1, config: { save: '""', appendonly: 'no' } });
  const targetTopo = await startCluster({
    masters: 3,
    replicasPerMaster: 1,
    config: { save: '""', appendonly: 'no' },
  });
  const clients: { quit(): Promise<unknown> }[] = [];
  try {
    const primary = (db: number) => {
      const c = new Redis({ host: legacyTopo.primary.host, port: legacyTopo.primary.port, db });
      clients.push(c);
      return c;
    };
    const replicaNode = legacyTopo.replicas[0];
    if (!replicaNode) throw new Error('no legacy replica');
    const replicas = new Map<number, Redis>();
    const legacy = (db: number): Redis => {
      let c = replicas.get(db);
      if (!c) {
        c = new Redis({ host: replicaNode.host, port: replicaNode.port, db });
        clients.push(c);
        replicas.set(db, c);
      }
      return c;
    };
    const first = targetTopo.masters[0];
    if (!first) throw new Error('no target master');
    const target = await connectCluster(first.host, first.port);
    clients.push(target);

    // 60 % of the keys in db 0, 40 % in db 3 (prefix impact:), plus big collections in each.
    const expireAt = Date.now() + 6 * 3_600_000;
    const parts: { db: number; data: MixedData }[] = [
      { db: 0, data: { count: Math.round(total * 0.6), expireAt, big: 3, bigCard: 5000 } },
      { db: 3, data: { count: Math.round(total * 0.4), expireAt, big: 3, bigCard: 5000 } },
    ];
    const loadStart = performance.now();
    await Promise.all(
      parts.flatMap(({ db, data }) => [
        loadMixed(primary(db), data),
        loadMixed(target, data, DB_MAP[String(db) as '0']),
      ]),
    );
    await waitReplica(primary(0), legacy(0));
    const loadMs = performance.now() - loadStart;

    // Spot-check: many random keys per db, the way a sample does it, only bigger.
    const stats = newDigestStats();
    const pidByPort = new Map<number, number>([
      [replicaNode.port, replicaNode.pid],
      ...targetTopo.masters.map((m): [number, number] => [m.port, m.pid]),
    ]);
    const calls: { us: number; cpuUs: number; waitUs: number; preempted: number; keys: number }[] = [];
    let schedMissing = false;
    stats.onCall = (address) => {
      const pid = pidByPort.get(Number(address.slice(address.lastIndexOf(':') + 1)));
      const before = pid === undefined ? undefined : schedOf(pid);
      return ({ keys, elapsedUs }) => {
        const d = pid === undefined ? undefined : schedDelta(before, schedOf(pid));
        if (!d) {
          schedMissing = true;
          return;
        }
        calls.push({
          us: elapsedUs,
          cpuUs: d.cpuNs / 1000,
          waitUs: d.waitNs / 1000,
          preempted: d.preempted,
          keys,
        });
      };
    };
    const keysPerDb = opts.fullOnly ? 0 : opts.smoke ? 10_000 : 25_000;
    const spot = await spotCheck({
      legacy,
      target,
      dbMap: DB_MAP,
      dbs: [0, 3],
      keysPerDb,
      ttlToleranceMs: 1000,
      recheckDelayMs: 100,
      rounds: 3,
      digest: { stats },
    });

    // Naive: one key at a time, awaited commands.
    const naiveKeys = Array.from(
      { length: opts.fullOnly ? 0 : opts.smoke ? 1000 : 3000 },
      (_, i) => `k:${i * 7 + 1}`,
    );
    const naiveStart = performance.now();
    await naiveCompare(legacy(0), target, naiveKeys, '');
    const naiveMs = performance.now() - naiveStart;

    // False mismatches per type on identical data: every big collection and 20k ordinary keys of db 0 and 3.
    const map = keyMapper(DB_MAP);
    const pairs: KeyPair[] = [];
    for (const { db, data } of parts) {
      const n = opts.fullOnly ? 0 : Math.min(data.count, 10_000);
      for (let i = 0; i < n; i++)
        pairs.push({ db, legacyKey: `k:${i}`, targetKey: map.toTarget(db, `k:${i}`) });
      for (let j = 0; j < (opts.fullOnly ? 0 : (data.big ?? 0)); j++) {
        for (const t of ['hash', 'set', 'zset', 'list', 'stream']) {
          const key = binFromText(`big:${t}:${j}`);
          pairs.push({ db, legacyKey: key, targetKey: map.toTarget(db, key) });
        }
      }
    }
    const byType: Record<string, { compared: number; mismatches: number }> = {};
    const sides = { legacy, target, now: Date.now };
    for (let i = 0; i < pairs.length; i += 2000) {
      const obs = await observe(sides, pairs.slice(i, i + 2000));
      for (const o of obs) {
        const kind =
          o.legacy.card > 1000 && o.legacy.type !== 'string' ? `${o.legacy.type} (big)` : o.legacy.type;
        const entry = byType[kind] ?? { compared: 0, mismatches: 0 };
        entry.compared++;
        if (classify(o.legacy, o.target, 1000 + o.spanMs)) entry.mismatches++;
        byType[kind] = entry;
      }
    }

    // Full compare of every key (both phases).
    const serverPids = {
      legacyReplica: [replicaNode.pid],
      targetMasters: targetTopo.masters.map((m) => m.pid),
    };
    const cpuBefore = { node: process.cpuUsage(), servers: serverCpu(serverPids) };
    let lastLine = '';
    const full = await fullCompare({
      legacy,
      target,
      dbMap: DB_MAP,
      recheckDelayMs: 100,
      onProgress: (p) => {
        lastLine = renderProgress(p, 90);
      },
    });
    if (process.stdout.isTTY) process.stdout.write(`${lastLine}\n`);
    const nodeCpu = process.cpuUsage(cpuBefore.node);
    const serversAfter = serverCpu(serverPids);

    const spotRate = spot.checked / (spot.durationMs / 1000);
    const naiveRate = naiveKeys.length / (naiveMs / 1000);
    return {
      keys: parts.reduce((a, p) => a + p.data.count + (p.data.big ?? 0) * 5, 0),
      loadMs: Math.round(loadMs),
      spotCheck: {
        checked: spot.checked,
        durationMs: spot.durationMs,
        keysPerSecond: Math.round(spotRate),
        mismatches: spot.mismatches,
      },
      digestServer: {
        calls: stats.calls,
        keys: stats.keys,
        p50CallUs: percentile(stats.callUs, 0.5),
        p99CallUs: percentile(stats.callUs, 0.99),
        maxCallUs: stats.maxUs,
      },
      digestSched: schedMissing || calls.length === 0 ? null : digestSched(calls, 2000),
      loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      naive: {
        checked: naiveKeys.length,
        durationMs: Math.round(naiveMs),
        keysPerSecond: Math.round(naiveRate),
      },
      speedup: Math.round((spotRate / naiveRate) * 10) / 10,
      falseMismatchesByType: byType,
      fullCompare: {
        scanned: full.scanned,
        checked: full.checked,
        mismatches: full.mismatches,
        durationMs: full.durationMs,
        phaseMs: full.phaseMs,
        cpuMs: {
          node: Math.round((nodeCpu.user + nodeCpu.system) / 1000),
          legacyReplica: serversAfter.legacyReplica - cpuBefore.servers.legacyReplica,
          targetMasters: serversAfter.targetMasters - cpuBefore.servers.targetMasters,
        },
      },
    };
  } finally {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    await targetTopo.stop();
    await legacyTopo.stop();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const keysArg = args.indexOf('--keys');
  const keys = keysArg >= 0 ? Number(args[keysArg + 1]) : smoke ? 50_000 : 1_000_000;
  const result = await runConsistencyBench({ smoke, keys, fullOnly: args.includes('--full-only') });
  console.log(JSON.stringify(result, null, 2));
}
