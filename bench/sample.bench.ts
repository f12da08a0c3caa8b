/**
 * Sample benchmark: legacy primary + replica and a target of 3 masters + 3 replicas on loopback,
 * loaded with pipelined writes. Times whole samples (heartbeat and spot-check excluded) and reads
 * the server time each sample costs per node from INFO commandstats, beside a PING round trip
 * measured in the same run. `npx tsx bench/sample.bench.ts [--smoke] [--keys N] [--samples N] [--phase soak]`
 * (`--phase soak`: the soak's samples, which also read the target masters' key removals when due).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SNSClient } from '@aws-sdk/client-sns';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { configSchema, tenantSchema } from '../src/config/schema.js';
import { CONNECTION_NAME, createConnectionPool } from '../src/redis/index.js';
import { createSecretResolver } from '../src/redis/secrets.js';
import { tickDeps } from '../src/runtime/tick.js';
import { collectSample, createSamplingCache, type Sample } from '../src/sampling/index.js';
import { openStateStore } from '../src/store/connect.js';
import { runTick } from '../src/tick/runTick.js';
import { type RedisProcess, startCluster, startStandalone } from '../tools/local/index.js';
import { type SchedSnapshot, schedDelta, schedOf } from './procSched.js';

// The bench's admin connections, by name: their PING after each sample separates samples in the slowlog.
const BENCH_ADMIN = 'soakwatch-bench-admin';

// The sampler's per-process cache, as a warm container keeps it (one for the whole file).
const cache = createSamplingCache();

export interface SampleBenchResult {
  keys: number;
  loadMs: number;
  samples: number;
  /** Whole sample, client side (all 8 nodes in parallel). */
  sampleMs: { p50: number; p99: number; max: number };
  /** One PING round trip on an open connection, same run. */
  pingMs: { p50: number; p99: number };
  /** One PING to each of the 8 nodes at once (one connection each), same run: a one-round-trip sample's floor. */
  parallelPingMs: { p50: number; p99: number };
  /**
   * Server time of soakwatch's commands per node per sample, µs (every command in commandstats but
   * the replication stream's own REPLCONF/PSYNC), with the share of each command.
   */
  serverUsPerNode: {
    address: string;
    role: string;
    /** Whole run: commandstats usec / samples. */
    usPerSample: number;
    /** Median and 90th percentile over the samples of the node's server time in one sample (SLOWLOG). */
    usPerSampleMedian: number;
    usPerSampleP90: number;
    byCommand: Record<string, number>;
    /** A PING sent to the node right after every sample, from another connection: the cold floor. */
    coldPingUs: number;
    /**
     * The node's own INFO of the sample (the same sections) sent in a tight loop on the admin
     * connection: its server time with the server's caches warm (commandstats µs per call), beside
     * the per-sample figures, where the node was idle between samples.
     */
    hotInfoUs: number;
    /** The INFO soakwatch sent this node most often, as sent. */
    infoCommand: string;
    /**
     * Scheduler evidence from /proc (null where unreadable): samples during which the node's main
     * thread was preempted (involuntary context switch), the mean server time of the others and of
     * those, and the off-CPU time counted as command time (Σ per sample of SLOWLOG µs − main-thread
     * CPU µs, where positive: a command cannot take more wall time than CPU unless it was off-CPU).
     */
    sched: {
      preemptedSamples: number;
      meanUsNotPreempted: number;
      meanUsPreempted: number;
      offCpuUs: number;
      /** Mean main-thread CPU time per sample window (sample + the bench's PING), µs. */
      cpuUsPerWindow: number;
      /** Mean over samples of min(SLOWLOG µs, main-thread CPU µs of the window): what the server can have spent on CPU. */
      cpuBoundedMeanUs: number;
    } | null;
    /** The slowest single commands of soakwatch on this node, with the scheduler view of their sample. */
    outliers: {
      us: number;
      command: string;
      sample: number;
      cpuUs?: number;
      waitUs?: number;
      preempted?: number;
    }[];
  }[];
  serverUsMax: number;
  serverUsMedianMax: number;
  /** Server time of a PING (commandstats) on an open connection in a tight loop, µs. */
  pingServerUs: number;
  /**
   * The whole tick of this healthy tenant (sample with its replication-phase spot-check, store, judge,
   * alerts) on a real state store, same run; the heartbeat is off (no replication tool copies legacy to
   * target here, so its marker would never arrive).
   */
  tickMs: { p50: number; p99: number; ticks: number; judged: number; messages: number };
  loadAverage: number;
}

/**
 * An application's variety of commands, sent to every target master after each RESETSTAT: INFO
 * commandstats (read by the soak's key-removal readings) costs server time per command it lists, so a
 * node that saw only soakwatch's few commands would read cheap. `{k}` is a key the master owns.
 */
const APP_COMMANDS: string[][] = [
  ['SET', '{k}', '1'],
  ['GET', '{k}'],
  ['INCR', '{k}:n'],
  ['INCRBY', '{k}:n', '2'],
  ['DECR', '{k}:n'],
  ['APPEND', '{k}:s', 'x'],
  ['STRLEN', '{k}:s'],
  ['MSET', '{k}:a', '1', '{k}:b', '2'],
  ['MGET', '{k}:a', '{k}:b'],
  ['SETEX', '{k}:e', '100', 'v'],
  ['EXPIRE', '{k}:a', '100'],
  ['TTL', '{k}:a'],
  ['PTTL', '{k}:a'],
  ['EXISTS', '{k}:a'],
  ['TYPE', '{k}:a'],
  ['GETDEL', '{k}:b'],
  ['HSET', '{k}:h', 'f', 'v'],
  ['HGET', '{k}:h', 'f'],
  ['HGETALL', '{k}:h'],
  ['HDEL', '{k}:h', 'f'],
  ['LPUSH', '{k}:l', '1'],
  ['LRANGE', '{k}:l', '0', '1'],
  ['RPOP', '{k}:l'],
  ['SADD', '{k}:z', '1'],
  ['SMEMBERS', '{k}:z'],
  ['SREM', '{k}:z', '1'],
  ['ZADD', '{k}:o', '1', 'm'],
  ['ZRANGE', '{k}:o', '0', '1'],
  ['ZREM', '{k}:o', 'm'],
  ['UNLINK', '{k}:e'],
  ['DEL', '{k}', '{k}:n', '{k}:s', '{k}:a'],
];

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
}

async function admin<T>(node: RedisProcess, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({ port: node.port, lazyConnect: true });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** Pipelined SETs in batches: `keyFor(i)` keys, written where `route` says. */
async function load(total: number, route: (key: string) => Redis, prefix: string): Promise<void> {
  const batch = 10_000;
  for (let start = 0; start < total; start += batch) {
    const pipes = new Map<Redis, ReturnType<Redis['pipeline']>>();
    for (let i = start; i < Math.min(total, start + batch); i++) {
      const key = `${prefix}k:${i}`;
      const client = route(key);
      let pipe = pipes.get(client);
      if (!pipe) {
        pipe = client.pipeline();
        pipes.set(client, pipe);
      }
      pipe.call('SET', key, 'v', ...(i % 10 === 0 ? ['EX', '86400'] : []));
    }
    await Promise.all([...pipes.values()].map((p) => p.exec()));
  }
}

async function waitSynced(primary: Redis, replicas: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const info = await primary.info('replication');
    const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? -1);
    const lines = [...info.matchAll(/slave\d+:.*state=online,offset=(\d+)/g)];
    if (lines.length >= replicas && lines.every((m) => Number(m[1]) === offset)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('replicas did not catch up');
}

/** Runs the benchmark and returns measured numbers (nothing hard-coded). */
export async function runSampleBench(opts: {
  smoke: boolean;
  keys: number;
  samples?: number;
  /** The tenant's phase the samples are taken in (none by default). */
  phase?: string;
}): Promise<SampleBenchResult> {
  const samples = opts.samples ?? (opts.smoke ? 100 : 500);
  const primary = await startStandalone();
  const replica = await startStandalone();
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  const pool = createConnectionPool({ commandTimeoutMs: 1_000, connectTimeoutMs: 2_000 });
  try {
    await admin(replica.node, (c) => c.call('REPLICAOF', '127.0.0.1', String(primary.node.port)));

    // ── Load: legacy db 0, and the same keys on the target, each written to the master owning its slot.
    const loadStart = performance.now();
    const legacy = new Redis({ port: primary.node.port });
    const masters = await Promise.all(
      cluster.masters.map(async (m) => {
        const c = new Redis({ port: m.port });
        const slots = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        return { client: c, port: m.port, slots };
      }),
    );
    const owner = new Array<Redis>(16_384);
    for (const m of masters) {
      for (const [from, to, [, port]] of m.slots) {
        const client = masters.find((x) => x.port === port)?.client;
        if (client) for (let s = from; s <= to; s++) owner[s] = client;
      }
    }
    await Promise.all([
      load(opts.keys, () => legacy, ''),
      load(opts.keys, (key) => owner[calculateSlot(key)] ?? legacy, ''),
    ]);
    await Promise.all([waitSynced(legacy, 1), ...masters.map((m) => waitSynced(m.client, 1))]);
    const loadMs = performance.now() - loadStart;

    // ── Samples.
    const tenant = tenantSchema.parse({
      id: 'bench',
      legacy: { url: primary.node.url, dbs: [0] },
      target: { url: cluster.url, cluster: true, dbMap: { '0': '' } },
    });
    let previous: Sample | undefined;
    const phase = opts.phase ? { phase: opts.phase } : {};
    for (let i = 0; i < 20; i++)
      previous = await collectSample(tenant, { pool, cache, now: Date.now, previous, ...phase });
    if (!previous?.complete) throw new Error('warm-up sample incomplete');
    if (previous.keys['0']?.legacy !== opts.keys || previous.keys['0']?.target !== opts.keys)
      throw new Error(`keys not loaded: ${JSON.stringify(previous.keys['0'])}`);

    const nodes: RedisProcess[] = [primary.node, replica.node, ...cluster.masters, ...cluster.replicas];
    // One admin connection per node: RESETSTAT and commandstats between chunks, and the cold PING.
    const admins = await Promise.all(
      nodes.map(async (n) => {
        const c = new Redis({ port: n.port, lazyConnect: true, connectionName: BENCH_ADMIN });
        await c.connect();
        return c;
      }),
    );
    // Every command's duration goes to the slowlog too: the server time of each sample on each node
    // (the bench's PING after each sample separates them) gives a median that a node preempted in the
    // middle of a command (2 shared cores) inflates for one sample only, not for the whole run.
    await Promise.all(
      admins.map((c) =>
        c
          .pipeline()
          .config('SET', 'slowlog-log-slower-than', '0')
          .config('SET', 'slowlog-max-len', '4096')
          .exec(),
      ),
    );
    // A key (hash tag) each target master owns, for the application's commands.
    const appKeys = new Map<number, string>();
    for (let n = 0; appKeys.size < masters.length && n < 100_000; n++) {
      const key = `{bench-app-${n}}`;
      const port = masters.find((m) => m.client === owner[calculateSlot(key)])?.port;
      if (port !== undefined && !appKeys.has(port)) appKeys.set(port, key);
    }
    const appCommands = (node: RedisProcess, c: Redis) => {
      const key = appKeys.get(node.port);
      if (!key) return Promise.resolve();
      const pipe = c.pipeline();
      for (const [name = 'PING', ...args] of APP_COMMANDS)
        pipe.call(name, ...args.map((a) => a.replace('{k}', key)));
      return pipe.exec();
    };
    const chunks = Math.max(1, Math.ceil(samples / 50));
    const totals = nodes.map(() => ({
      byCommand: {} as Record<string, number>,
      perSample: [] as number[],
      sched: [] as (SchedSnapshot | undefined)[],
      commands: [] as { us: number; command: string; sample: number }[],
    }));
    const times: number[] = [];
    let done = 0;
    for (let chunk = 0; chunk < chunks; chunk++) {
      const size = Math.floor((samples * (chunk + 1)) / chunks) - done;
      await Promise.all(admins.map((c) => c.config('RESETSTAT')));
      await Promise.all(nodes.map((n, k) => (admins[k] ? appCommands(n, admins[k]) : undefined)));
      await Promise.all(admins.map((c) => c.slowlog('RESET')));
      for (let i = 0; i < size; i++) {
        // The window of a sample on a node: from before the sample to after the bench's PING.
        const before = nodes.map((n) => schedOf(n.pid));
        const t0 = performance.now();
        previous = await collectSample(tenant, { pool, cache, now: Date.now, previous, ...phase });
        times.push(performance.now() - t0);
        if (!previous.complete) throw new Error(`sample ${done + i} incomplete`);
        await Promise.all(admins.map((c) => c.ping()));
        for (const [k, n] of nodes.entries()) totals[k]?.sched.push(schedDelta(before[k], schedOf(n.pid)));
      }
      done += size;
      const replies = await Promise.all(
        admins.map(async (c) => ({
          slowlog: (await c.call('SLOWLOG', 'GET', '4096')) as unknown[],
          commandstats: await c.info('commandstats'),
        })),
      );
      replies.forEach(({ slowlog, commandstats }, k) => {
        const total = totals[k];
        if (!total) return;
        for (const m of commandstats.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) {
          const name = m[1] ?? '';
          // The replication stream's own commands and the bench's RESETSTAT and SLOWLOG are not
          // soakwatch's; PING is the bench's cold baseline (soakwatch sends none).
          if (
            [
              'replconf',
              'psync',
              'sync',
              'config|resetstat',
              'config|set',
              'slowlog|reset',
              'slowlog|get',
            ].includes(name) ||
            APP_COMMANDS.some(([c]) => c?.toLowerCase() === name)
          )
            continue;
          total.byCommand[name] = (total.byCommand[name] ?? 0) + Number(m[2]);
        }
        let current = 0;
        let sample = done - size;
        // Newest first: [id, time, µs, args, address, client name].
        for (const entry of [...slowlog].reverse()) {
          if (!Array.isArray(entry)) continue;
          const [, , us, args, , name] = entry as [unknown, unknown, number, unknown[], unknown, unknown];
          if (String(name) === CONNECTION_NAME) {
            current += Number(us);
            // INFO whole (its sections are what it costs), other commands by their first words.
            const words = String(args?.[0]).toLowerCase() === 'info' ? 16 : 4;
            const command = (args ?? []).slice(0, words).map(String).join(' ');
            total.commands.push({ us: Number(us), command, sample });
          } else if (String(name) === BENCH_ADMIN && String(args?.[0]).toUpperCase() === 'PING') {
            // Only the bench's own PING ends a sample: a primary also PINGs its replicas every 10 s
            // (repl-ping-replica-period), and a replica logs what its primary sends.
            total.perSample.push(current);
            current = 0;
            sample++;
          }
        }
        if (sample !== done)
          throw new Error(`slowlog of ${nodes[k]?.port} lost entries (${sample} of ${done})`);
      });
    }
    // The floor of any sample that reads 8 nodes in one round trip each: 8 PINGs at once, one per node.
    const parallelPings: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await Promise.all(admins.map((c) => c.ping()));
      parallelPings.push(performance.now() - t0);
    }
    // The same INFO each node was sent, hot: a tight loop on the admin connection, one node at a time
    // (8 loops at once on 2 cores would preempt the servers inside their commands).
    const HOT_CALLS = 500;
    const hot: { command: string; us: number }[] = [];
    for (const [k, c] of admins.entries())
      hot.push(
        await (async () => {
          const seen = new Map<string, number>();
          for (const cmd of totals[k]?.commands ?? [])
            if (/^info /i.test(cmd.command)) seen.set(cmd.command, (seen.get(cmd.command) ?? 0) + 1);
          const command = [...seen].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'info';
          const [, ...sections] = command.split(' ');
          await c.config('RESETSTAT');
          for (let i = 0; i < HOT_CALLS; i++) await c.info(...sections);
          const m = /^cmdstat_info:calls=(\d+),usec=(\d+)/m.exec(await c.info('commandstats'));
          // The commandstats INFO above is not counted yet when it reports (a command is counted after it runs).
          return { command, us: m ? Number(m[2]) / Number(m[1]) : Number.NaN };
        })(),
      );
    for (const c of admins) c.disconnect();
    const roles = new Map(
      previous.legacy.nodes.concat(previous.target.nodes).map((n) => [n.address, n.role]),
    );
    const serverUsPerNode = nodes.map((n, k) => {
      const total = totals[k] ?? {
        byCommand: {} as Record<string, number>,
        perSample: [],
        sched: [],
        commands: [],
      };
      const byCommand: Record<string, number> = {};
      for (const [name, usec] of Object.entries(total.byCommand))
        if (name !== 'ping') byCommand[name] = usec / samples;
      const address = `127.0.0.1:${n.port}`;
      const windows = total.perSample.map((us, i) => ({ us, sched: total.sched[i] }));
      const known = windows.filter((w) => w.sched !== undefined);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
      const preempted = known.filter((w) => (w.sched?.preempted ?? 0) > 0);
      const calm = known.filter((w) => (w.sched?.preempted ?? 0) === 0);
      const sched =
        known.length === windows.length && windows.length > 0
          ? {
              preemptedSamples: preempted.length,
              meanUsNotPreempted: mean(calm.map((w) => w.us)),
              meanUsPreempted: mean(preempted.map((w) => w.us)),
              offCpuUs: known.reduce((a, w) => a + Math.max(0, w.us - (w.sched?.cpuNs ?? 0) / 1000), 0),
              cpuUsPerWindow: mean(known.map((w) => (w.sched?.cpuNs ?? 0) / 1000)),
              cpuBoundedMeanUs: mean(known.map((w) => Math.min(w.us, (w.sched?.cpuNs ?? 0) / 1000))),
            }
          : null;
      const outliers = [...total.commands]
        .sort((a, b) => b.us - a.us)
        .slice(0, 5)
        .map((c) => {
          const d = total.sched[c.sample];
          return d
            ? { ...c, cpuUs: d.cpuNs / 1000, waitUs: d.waitNs / 1000, preempted: d.preempted }
            : { ...c };
        });
      return {
        sched,
        outliers,
        address,
        role: roles.get(address) ?? 'unknown',
        usPerSample: Object.values(byCommand).reduce((a, b) => a + b, 0),
        usPerSampleMedian: percentile(total.perSample, 0.5),
        usPerSampleP90: percentile(total.perSample, 0.9),
        byCommand,
        coldPingUs: (total.byCommand.ping ?? 0) / samples,
        hotInfoUs: hot[k]?.us ?? Number.NaN,
        infoCommand: hot[k]?.command ?? '',
      };
    });

    // ── Baseline: PING on an open connection, same run.
    const pings: number[] = [];
    await admin(primary.node, async (c) => {
      await c.call('CONFIG', 'RESETSTAT');
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        await c.ping();
        pings.push(performance.now() - t0);
      }
    });
    const pingServerUs = await admin(primary.node, async (c) => {
      const m = /^cmdstat_ping:calls=(\d+),usec=(\d+)/m.exec(await c.info('commandstats'));
      return m ? Number(m[2]) / Number(m[1]) : Number.NaN;
    });
    legacy.disconnect();
    for (const m of masters) m.client.disconnect();
    const tickMs = await benchTick(
      primary.node.url,
      cluster.url,
      pool,
      Math.max(20, Math.floor(samples / 5)),
    );

    return {
      keys: opts.keys,
      loadMs: Math.round(loadMs),
      samples,
      sampleMs: { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: Math.max(...times) },
      pingMs: { p50: percentile(pings, 0.5), p99: percentile(pings, 0.99) },
      parallelPingMs: { p50: percentile(parallelPings, 0.5), p99: percentile(parallelPings, 0.99) },
      serverUsPerNode,
      serverUsMax: Math.max(...serverUsPerNode.map((n) => n.usPerSample)),
      serverUsMedianMax: Math.max(...serverUsPerNode.map((n) => n.usPerSampleMedian)),
      pingServerUs,
      tickMs,
      loadAverage: loadavg()[0] ?? 0,
    };
  } finally {
    await pool.closeAll();
    await Promise.all([primary.stop(), replica.stop(), cluster.stop()]);
  }
}

/** Times `ticks` whole ticks of one healthy tenant over the bench's clusters, on a fresh state store. */
async function benchTick(
  legacyUrl: string,
  targetUrl: string,
  pool: ReturnType<typeof createConnectionPool>,
  ticks: number,
): Promise<SampleBenchResult['tickMs']> {
  const stateRedis = await startStandalone();
  const config = configSchema.parse({
    stateStore: { url: stateRedis.node.url },
    tenants: [
      {
        id: 'bench-tick',
        legacy: { url: legacyUrl, dbs: [0], heartbeat: { enabled: false } },
        target: { url: targetUrl, cluster: true, dbMap: { '0': '' } },
      },
    ],
  });
  const secrets = createSecretResolver();
  const state = await openStateStore(config.stateStore, secrets);
  const sns = new SNSClient({ region: 'us-east-1' });
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  try {
    const { deps } = tickDeps(config, { store: state.store, pool, secrets, sns }, { log: quiet });
    const times: number[] = [];
    let judged = 0;
    let messages = 0;
    for (let i = 0; i < ticks + 5; i++) {
      const t0 = performance.now();
      const report = await runTick(deps, { now: Date.now() });
      const ms = performance.now() - t0;
      const t = report.tenants[0];
      if (!t?.ok) throw new Error(`tick ${i} failed: ${t?.error ?? 'no report'}`);
      if (i < 5) continue; // warm-up
      times.push(ms);
      if (t.judged) judged++;
      messages += t.messages;
    }
    return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), ticks, judged, messages };
  } finally {
    sns.destroy();
    state.close();
    await stateRedis.stop();
  }
}

function print(r: SampleBenchResult): void {
  const f = (n: number, d = 3) => n.toFixed(d);
  console.log(
    `sample: ${r.keys} keys per cluster (load ${r.loadMs} ms), ${r.samples} samples, load average ${f(r.loadAverage, 2)}`,
  );
  console.log(
    `  whole sample (8 nodes):  p50 ${f(r.sampleMs.p50)} ms   p99 ${f(r.sampleMs.p99)} ms   max ${f(r.sampleMs.max)} ms`,
  );
  console.log(`  PING round trip:          p50 ${f(r.pingMs.p50)} ms   p99 ${f(r.pingMs.p99)} ms`);
  console.log(
    `  8 PINGs at once (1/node): p50 ${f(r.parallelPingMs.p50)} ms   p99 ${f(r.parallelPingMs.p99)} ms   = ${f(r.parallelPingMs.p50 / r.pingMs.p50, 1)}× PING`,
  );
  console.log(
    `  whole sample / PING:      p50 ${f(r.sampleMs.p50 / r.pingMs.p50, 1)}×   (floor: ≤ 6×); / 8 PINGs at once ${f(r.sampleMs.p50 / r.parallelPingMs.p50, 1)}×`,
  );
  console.log(
    `  whole tick, one healthy tenant (sample+spot-check, store, judge, alerts; heartbeat off): p50 ${f(r.tickMs.p50)} ms   p99 ${f(r.tickMs.p99)} ms   = ${f(r.tickMs.p50 / r.pingMs.p50, 1)}× PING; ${r.tickMs.judged}/${r.tickMs.ticks} judged, ${r.tickMs.messages} alert messages`,
  );
  console.log(
    '  server time per node per sample, µs: mean (commandstats), median and p90 of samples (slowlog), cold PING, the same INFO hot (tight loop)',
  );
  for (const n of r.serverUsPerNode) {
    const parts = Object.entries(n.byCommand)
      .map(([c, us]) => `${c} ${f(us, 1)}`)
      .join(', ');
    console.log(
      `    ${n.address.padEnd(16)} ${n.role.padEnd(8)} ${f(n.usPerSample, 1).padStart(6)} ${f(n.usPerSampleMedian, 1).padStart(6)} ${f(n.usPerSampleP90, 1).padStart(6)} ${f(n.coldPingUs, 2).padStart(5)} ${f(n.hotInfoUs, 1).padStart(6)}  (${parts})`,
    );
  }
  console.log(
    `  max ${f(r.serverUsMax, 1)} µs (median of samples: max ${f(r.serverUsMedianMax, 1)} µs; floor ≤ 20 µs); PING server time in a tight loop ${f(r.pingServerUs, 2)} µs`,
  );
  const hotMax = Math.max(...r.serverUsPerNode.map((n) => n.hotInfoUs));
  const coldPing =
    r.serverUsPerNode.map((n) => n.coldPingUs).sort((a, b) => a - b)[r.serverUsPerNode.length >> 1] ?? 0;
  console.log(
    `  the same INFO hot: max ${f(hotMax, 1)} µs per node (median of samples / hot = ${f(r.serverUsMedianMax / hotMax, 1)}×; a PING cold / hot = ${f(coldPing / r.pingServerUs, 1)}×)`,
  );
  printSched(r);
}

/** The scheduler evidence per node and the slowest commands: what the mean's outliers are. */
export function printSched(r: SampleBenchResult): void {
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(
    '  scheduler (/proc, main thread): samples preempted, mean µs not preempted / preempted, off-CPU µs counted as command time per sample, CPU-bounded mean µs, CPU µs per window',
  );
  for (const n of r.serverUsPerNode) {
    const s = n.sched;
    console.log(
      s
        ? `    ${n.address.padEnd(16)} ${n.role.padEnd(8)} ${String(s.preemptedSamples).padStart(4)}/${r.samples}  ${f(s.meanUsNotPreempted).padStart(6)} / ${f(s.meanUsPreempted).padStart(7)}  off-CPU ${f(s.offCpuUs / r.samples).padStart(6)}  CPU-bounded ${f(s.cpuBoundedMeanUs).padStart(5)}  CPU ${f(s.cpuUsPerWindow).padStart(6)}`
        : `    ${n.address.padEnd(16)} ${n.role.padEnd(8)} no /proc data`,
    );
    for (const o of n.outliers.slice(0, 3))
      console.log(
        `        ${f(o.us, 0).padStart(6)} µs  ${o.command.slice(0, 60).padEnd(60)} sample ${o.sample}${o.cpuUs !== undefined ? `: CPU ${f(o.cpuUs, 0)} µs, waited ${f(o.waitUs ?? 0, 0)} µs, preempted ${o.preempted}` : ''}`,
      );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const smoke = process.argv.includes('--smoke');
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await runSampleBench({
    smoke,
    keys: arg('--keys') ?? (smoke ? 50_000 : 1_000_000),
    samples: arg('--samples'),
    ...(process.argv.includes('--phase') ? { phase: process.argv[process.argv.indexOf('--phase') + 1] } : {}),
  });
  print(result);
}
