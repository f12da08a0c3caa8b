import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Cluster, Redis } from 'ioredis';
import { configSchema } from '../../src/config/index.js';
import { CONNECTION_NAME } from '../../src/redis/options.js';
import { openTickRuntime } from '../../src/runtime/tick.js';
import type { StateStore } from '../../src/store/index.js';
import { runTick } from '../../src/tick/runTick.js';
import { startCluster, startStandalone } from '../../tools/local/index.js';
import { startOffline } from '../support/offline.js';

/*
 * The fleet on this machine (issue 11): N tenants sharing a few local topologies — two legacy
 * standalones of 16 tenants each (one db per tenant), one 3-master cluster target (a key prefix per tenant), one state
 * store — ticked (1) by today's single in-process loop (runTick over every tenant, four at a time), then
 * (2) by the scheduled tick as a dispatcher through serverless offline's Lambda Invoke API, one
 * asynchronous tickTenant invocation per tenant, a cold round then a warm one. Offline runs the handlers
 * in its own process (`useInProcess`, SOAKWATCH_OFFLINE_IN_PROCESS): every invocation shares one module,
 * one connection pool and the two cores, where Lambda would give each its container. Measured: wall time per
 * full round, per-tenant tick latency, soakwatch's connections per Redis node, the offline process
 * group's memory. Used by test/scale/fleet.test.ts (40 tenants) and bench/fleet.bench.ts (200).
 */

export interface RoundFigures {
  /** From the round's start to the last tenant judged, ms. */
  wallMs: number;
  /** The dispatcher's own time (the invoke of tick, which returns once every task is sent), ms. */
  dispatchMs?: number;
  judged: number;
  stale: number;
  /** Per-tenant tick, ms (in-process: lock held; fan-out: the task's own duration). */
  tickMs: { p50: number; p99: number; max: number };
  /** Delivery delay: the task's start after the round's time, ms (fan-out only). */
  startDelayMs?: { p50: number; p99: number };
  /** Peak soakwatch connections (CLIENT LIST name=soakwatch) per tenant Redis node during the round. */
  connectionsPerNode: Record<string, number>;
  /** Peak resident memory, MB: the offline process group (fan-out), this process (in-process). */
  rssMb: number;
  /** The connection census the dispatcher read after its dispatch (fan-out only): the rounds before. */
  census?: { processes: number; maxPerNode: number; total: number };
}

export interface FleetResult {
  tenants: number;
  inProcess: RoundFigures;
  fanOutCold: RoundFigures;
  fanOutWarm: RoundFigures;
  offlineStartupMs: number;
  /** The tenant nodes watched (`connectionsPerNode`'s keys), by side. */
  nodes: { legacy: string[]; targetMasters: string[] };
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const KEYS_PER_TENANT = 5;

function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Resident memory of a process group (osls, esbuild, the handlers' workers), MB. */
function groupRssMb(pgid: number): number {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      kb += Number(rss?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kb / 1024;
}

/** Samples soakwatch's connections on every node and a memory figure until stopped; keeps the peaks. */
function watchPeaks(nodes: { address: string; client: Redis }[], rss: () => number) {
  const peaks: Record<string, number> = {};
  let rssPeak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        nodes.map(async (n) => {
          const list = String(await n.client.client('LIST').catch(() => ''));
          const count = list.split('\n').filter((l) => l.includes(` name=${CONNECTION_NAME} `)).length;
          peaks[n.address] = Math.max(peaks[n.address] ?? 0, count);
        }),
      );
      rssPeak = Math.max(rssPeak, rss());
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return { connectionsPerNode: peaks, rssMb: rssPeak };
  };
}

export async function runFleetScale(opts: {
  tenants: number;
  log?: (line: string) => void;
}): Promise<FleetResult> {
  const n = opts.tenants;
  const log = opts.log ?? (() => undefined);
  // The config allows legacy dbs 0–15: sixteen tenants per legacy standalone.
  const legacyCount = Math.ceil(n / 16);
  const dir = mkdtempSync(join(tmpdir(), 'soakwatch-scale-'));
  const [legacies, target, state] = await Promise.all([
    Promise.all(Array.from({ length: legacyCount }, () => startStandalone())),
    startCluster({ masters: 3, replicasPerMaster: 0 }),
    startStandalone(),
  ]);
  const admins: { address: string; client: Redis }[] = [];
  let offline: Awaited<ReturnType<typeof startOffline>> | undefined;
  try {
    // ── Tenants: tenant i is db i mod 16 of legacy ⌊i/16⌋, and prefix `t<i>:` on the target.
    const legacyOf = (i: number) => legacies[Math.floor(i / 16)] ?? legacies[0];
    const dbOf = (i: number) => i % 16;
    const seedLegacy = async (server: (typeof legacies)[number], index: number) => {
      const c = new Redis(server.node.url);
      const pipe = c.pipeline();
      for (let i = index * 16; i < Math.min(n, index * 16 + 16); i++) {
        pipe.select(dbOf(i));
        for (let k = 0; k < KEYS_PER_TENANT; k++) pipe.set(`k:${k}`, `v${i}:${k}`);
      }
      await pipe.exec();
      c.disconnect();
    };
    const cluster = new Cluster([
      { host: target.masters[0]?.host ?? '127.0.0.1', port: target.masters[0]?.port ?? 0 },
    ]);
    await Promise.all([
      ...legacies.map((l, index) => seedLegacy(l, index)),
      (async () => {
        for (let i = 0; i < n; i++)
          await Promise.all(
            Array.from({ length: KEYS_PER_TENANT }, (_, k) => cluster.set(`t${i}:k:${k}`, `v${i}:${k}`)),
          );
      })(),
    ]);
    cluster.disconnect();
    const tenants = Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      legacy: { url: legacyOf(i)?.node.url ?? '', dbs: [dbOf(i)], heartbeat: { enabled: false } },
      target: { url: target.url, cluster: true, dbMap: { [String(dbOf(i))]: `t${i}:` } },
    }));
    const rawConfig = {
      stateStore: { url: `${state.node.url}/0`, keyPrefix: 'soakwatch-scale:' },
      // Fan out from a single tenant: the dispatcher always hands tenants to tickTenant here.
      fleet: { fanOutFrom: 1, dispatchConcurrency: 64, roundMs: 60_000, warmTenants: 4 },
      tenants,
    };
    const config = configSchema.parse(rawConfig);
    const configPath = join(dir, 'soakwatch.config.json');
    writeFileSync(configPath, JSON.stringify(rawConfig));
    for (const node of [...legacies.map((l) => l.node), ...target.masters]) {
      admins.push({ address: `${node.host}:${node.port}`, client: new Redis(node.port, node.host) });
    }
    const stateClient = new Redis(state.node.url);

    // ── (1) Today's single in-process loop, in this process.
    const runtime = await openTickRuntime(config, { log: quiet, aws: false });
    const tickMs: number[] = [];
    const store: StateStore = runtime.deps.store;
    // A tenant's tick is the time its `tick` lock is held. Only that lock: the tick also takes the
    // tenant's `outbox` lock inside it, whose few milliseconds would otherwise count as ticks of their own.
    const timedStore: StateStore = Object.create(store, {
      acquireLock: {
        value: async (tenant: string, name: string, ttl: number) => {
          const lock = await store.acquireLock(tenant, name, ttl);
          if (!lock || name !== 'tick') return lock;
          const at = performance.now();
          return {
            ...lock,
            release: async () => {
              const released = await lock.release();
              tickMs.push(performance.now() - at);
              return released;
            },
          };
        },
      },
    });
    const deps = { ...runtime.deps, store: timedStore };
    const stopIn = watchPeaks(admins, () => process.memoryUsage().rss / 1024 / 1024);
    const inStart = performance.now();
    const inReport = await runTick(deps, { now: Date.now() });
    const inWall = performance.now() - inStart;
    const inPeaks = await stopIn();
    await runtime.close();
    const inProcess: RoundFigures = {
      wallMs: inWall,
      judged: inReport.tenants.filter((t) => t.judged).length,
      stale: 0,
      tickMs: { p50: percentile(tickMs, 0.5), p99: percentile(tickMs, 0.99), max: Math.max(...tickMs) },
      ...inPeaks,
    };
    log(`in-process loop: ${inProcess.judged}/${n} judged in ${inWall.toFixed(0)} ms`);

    // ── (2) The dispatcher and tickTenant under serverless offline.
    offline = await startOffline({
      env: { SOAKWATCH_CONFIG: configPath, SOAKWATCH_OFFLINE_IN_PROCESS: 'true' },
    });
    log(`offline started in ${offline.startupMs} ms`);
    const pgid = offline.pid;
    type Done = {
      tenant: string;
      round: number;
      outcome: string;
      judged: boolean;
      durationMs: number;
      startDelayMs: number;
    };
    const fanOutRound = async (): Promise<RoundFigures> => {
      const round = Date.now();
      // The round's output is read as it streams: offline.logs() keeps only a tail, and a round of 100+
      // invocations prints more than that (reading a tail from a stale offset lost most "done" lines).
      let text = '';
      let partial = '';
      const done: Done[] = [];
      const seen = new Set<string>();
      const unsubscribe = offline?.onOutput((chunk) => {
        text += chunk;
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const at = line.indexOf('{"');
          if (at < 0 || !line.includes('tenant tick done')) continue;
          try {
            const parsed = JSON.parse(line.slice(at)) as Done & { message?: string };
            if (parsed.message !== 'tenant tick done' || parsed.round !== round) continue;
            done.push(parsed);
            seen.add(parsed.tenant);
          } catch {
            // not one of ours
          }
        }
      });
      const stop = watchPeaks(admins, () => groupRssMb(pgid));
      const t0 = performance.now();
      const dispatched = await offline?.invoke<{
        dispatched?: number;
        failed?: unknown[];
        connections?: { processes: number; maxPerNode: number; total: number };
      }>('tick', { now: round }, 60_000);
      const dispatchMs = performance.now() - t0;
      if (dispatched?.functionError || dispatched?.payload?.dispatched !== n) {
        unsubscribe?.();
        throw new Error(`dispatch failed: ${JSON.stringify(dispatched?.payload).slice(0, 500)}`);
      }
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && seen.size < n) await new Promise((r) => setTimeout(r, 50));
      const wallMs = performance.now() - t0;
      unsubscribe?.();
      const peaks = await stop();
      log(`offline printed ${(text.length / 1024).toFixed(0)} KiB during the round`);
      // SOAKWATCH_SCALE_LOG=<file> keeps every round's whole offline output (appended, one header per round).
      const full = process.env.SOAKWATCH_SCALE_LOG;
      if (full) appendFileSync(full, `--- round ${round}: ${seen.size}/${n} tenants done ---\n${text}\n`);
      if (seen.size < n) log(`round incomplete; offline output (tail):\n${text.slice(-4_000)}`);
      const ticked = done.filter((d) => d.outcome === 'ticked');
      const census = dispatched.payload?.connections;
      return {
        wallMs,
        dispatchMs,
        ...(census
          ? {
              census: {
                processes: census.processes,
                maxPerNode: census.maxPerNode,
                total: census.total,
              },
            }
          : {}),
        judged: new Set(done.filter((d) => d.judged).map((d) => d.tenant)).size,
        stale: done.filter((d) => d.outcome === 'stale').length,
        tickMs: {
          p50: percentile(
            ticked.map((d) => d.durationMs),
            0.5,
          ),
          p99: percentile(
            ticked.map((d) => d.durationMs),
            0.99,
          ),
          max: Math.max(...ticked.map((d) => d.durationMs)),
        },
        startDelayMs: {
          p50: percentile(
            done.map((d) => d.startDelayMs),
            0.5,
          ),
          p99: percentile(
            done.map((d) => d.startDelayMs),
            0.99,
          ),
        },
        ...peaks,
      };
    };
    const fanOutCold = await fanOutRound();
    log(`fan-out cold round: ${fanOutCold.judged}/${n} judged in ${fanOutCold.wallMs.toFixed(0)} ms`);
    const fanOutWarm = fanOutCold.judged === 0 ? fanOutCold : await fanOutRound();
    log(`fan-out warm round: ${fanOutWarm.judged}/${n} judged in ${fanOutWarm.wallMs.toFixed(0)} ms`);
    stateClient.disconnect();
    const address = (node: { host: string; port: number }) => `${node.host}:${node.port}`;
    return {
      tenants: n,
      inProcess,
      fanOutCold,
      fanOutWarm,
      offlineStartupMs: offline.startupMs,
      nodes: { legacy: legacies.map((l) => address(l.node)), targetMasters: target.masters.map(address) },
    };
  } finally {
    await offline?.stop().catch(() => undefined);
    for (const a of admins) a.client.disconnect();
    await Promise.allSettled([...legacies.map((l) => l.stop()), target.stop(), state.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as the test and the bench print them, each fan-out figure with its ratio to the loop's. */
export function formatFleet(r: FleetResult): string {
  const f = (x: number | undefined, d = 0) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const base = r.inProcess;
  // "×" is this round's figure over the in-process loop's, measured in the same run.
  const ratio = (x: number | undefined, b: number) => (x === undefined ? '' : ` (${f(x / b, 2)}×)`);
  const conns = (x: RoundFigures) => {
    const at = (a: string) => x.connectionsPerNode[a] ?? 0;
    return `legacy max ${Math.max(0, ...r.nodes.legacy.map(at))} (${r.nodes.legacy.length} nodes); target masters ${r.nodes.targetMasters.map(at).join(', ')}`;
  };
  const row = (name: string, x: RoundFigures) =>
    [
      `  ${name}: judged ${x.judged}/${r.tenants}, stale ${x.stale}`,
      `    round ${f(x.wallMs)} ms${x === base ? '' : ratio(x.wallMs, base.wallMs)}${x.dispatchMs === undefined ? '' : `, of which dispatch ${f(x.dispatchMs)} ms`}`,
      `    tick p50 ${f(x.tickMs.p50)} ms${x === base ? '' : ratio(x.tickMs.p50, base.tickMs.p50)}, p99 ${f(x.tickMs.p99)} ms${x === base ? '' : ratio(x.tickMs.p99, base.tickMs.p99)}, max ${f(x.tickMs.max)} ms`,
      ...(x.startDelayMs
        ? [`    start delay p50 ${f(x.startDelayMs.p50)} ms, p99 ${f(x.startDelayMs.p99)} ms`]
        : []),
      `    peak RSS ${f(x.rssMb)} MB${x === base ? ' (this process)' : `${ratio(x.rssMb, base.rssMb)} (offline's process group)`}`,
      `    peak soakwatch connections per node: ${conns(x)}`,
      ...(x.census
        ? [
            `    census read by the dispatcher (the containers' reports of the rounds before): ${x.census.processes} processes, max ${x.census.maxPerNode} per node, ${x.census.total} in all`,
          ]
        : []),
    ].join('\n');
  return [
    `fleet of ${r.tenants} tenants (${r.nodes.legacy.length} legacy standalones, a 3-master cluster target, one state store); offline started in ${r.offlineStartupMs} ms; × = over the in-process loop of this run`,
    row('in-process loop (4 at a time)', base),
    row('fan-out through serverless offline, cold', r.fanOutCold),
    row('fan-out through serverless offline, warm', r.fanOutWarm),
  ].join('\n');
}
