import { type ChildProcess, spawn } from 'node:child_process';
import clusterKeySlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantTickReport } from '../../src/tick/index.js';
import type { RedisProcess } from '../../tools/local/index.js';
import {
  compressedPolicy,
  forceCutover,
  type Harness,
  messagesOf,
  openHarness,
  SECOND,
  scenarioConfig,
} from '../integration/scenarios/fixture.js';
import { nodeInfo, onNode } from '../support/scenario/world.js';
import { useCluster, useStandalone } from '../support/topologies.js';
import { printReport, recordRow, SAMPLER_CRITERION, waitFor } from './support.js';

// Issue 12 rows k and f on one cluster target: a master under ≥ 20k ops/s from a load generator
// (redis-benchmark, pipelined, on keys of that master's slots so nothing is redirected), then a master
// frozen (SIGSTOP) for several ticks and thawed. Every sample stays within the sampling budget.
// Also covered elsewhere: a frozen master at every tick on cold connections with the whole sampler
// (test/integration/tickBudget.test.ts 'frozen node') and a replica frozen for half a real-time soak under
// production-like load (test/scenario/soak-faults.test.ts).

const legacy = useStandalone();
const target = useCluster({ masters: 3, replicasPerMaster: 0 });
const store = useStandalone();

let h: Harness;
let bench: ChildProcess | undefined;
beforeAll(async () => {
  const base = compressedPolicy();
  h = await openHarness(
    scenarioConfig(store().node.url, [
      {
        id: 'loaded',
        legacy: { url: legacy().node.url },
        target: { url: target().url, cluster: true },
        soak: {
          ...base,
          soak: {
            ...base.soak,
            duration: '30s',
            criteria: [...(base.soak?.criteria ?? []), SAMPLER_CRITERION],
          },
        },
      },
    ]),
  );
});
afterAll(async () => {
  printReport();
  if (bench && bench.exitCode === null) bench.kill('SIGKILL');
  await h?.close();
});

/** A hash tag whose slot the node serves (from CLUSTER SLOTS), so the load is all that node's. */
async function tagOf(node: RedisProcess): Promise<string> {
  const slots = (await onNode(node, (c) => c.call('CLUSTER', 'SLOTS'))) as [
    number,
    number,
    [string, number],
  ][];
  const mine = slots.filter((s) => s[2][1] === node.port);
  for (let i = 0; i < 100_000; i++) {
    const slot = clusterKeySlot(`t${i}`);
    if (mine.some(([from, to]) => slot >= from && slot <= to)) return `t${i}`;
  }
  throw new Error(`no hash tag for 127.0.0.1:${node.port}`);
}

async function commandstats(node: RedisProcess): Promise<Map<string, { calls: number; usec: number }>> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const [k, v] of await nodeInfo(node, 'commandstats')) {
    const calls = Number(/calls=(\d+)/.exec(v)?.[1] ?? 0);
    const usec = Number(/usec=(\d+)/.exec(v)?.[1] ?? 0);
    out.set(k.replace(/^cmdstat_/, ''), { calls, usec });
  }
  return out;
}

const BUDGET_MS = () => h.config.sampling.budgetMs;

describe('the target under load and frozen', () => {
  let now = 0;
  const tick = async (): Promise<TenantTickReport & { wallMs: number }> => {
    now += SECOND;
    const started = Date.now();
    const r = await h.tick('loaded', now);
    return { ...r, wallMs: Date.now() - started };
  };

  it('(k) a master at ≥ 20k ops/s: every sample within budget, no false alarm, soakwatch’s server time measured', async () => {
    const started = Date.now();
    now = Date.now();
    await forceCutover(h, 'loaded', now);
    await tick();
    const node = target().masters[1] as RedisProcess;
    const tag = await tagOf(node);
    bench = spawn(
      'redis-benchmark',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(node.port),
        '-c',
        '4',
        '-P',
        '16',
        '-n',
        '1000000000',
        '-r',
        '50000',
        '-q',
        'SET',
        `{${tag}}:__rand_int__`,
        'v',
      ],
      { stdio: 'ignore' },
    );
    const total = async () => Number((await nodeInfo(node, 'stats')).get('total_commands_processed') ?? 0);
    await waitFor(
      'the load generator running',
      async () => Number((await nodeInfo(node, 'stats')).get('instantaneous_ops_per_sec') ?? 0) > 10_000,
    );
    const before = await commandstats(node);
    const c0 = await total();
    const t0 = Date.now();
    const reports: (TenantTickReport & { wallMs: number })[] = [];
    for (let i = 0; i < 6; i++) reports.push(await tick());
    const c1 = await total();
    const t1 = Date.now();
    const after = await commandstats(node);
    bench.kill('SIGKILL');
    const opsPerSec = Math.round(((c1 - c0) * 1000) / (t1 - t0));
    // soakwatch's own commands on that node (everything but the generator's SET, and the 2 INFO
    // commandstats of this test, counted at its average cost).
    const own = [...after]
      .filter(([cmd]) => cmd !== 'set')
      .map(([cmd, s]) => {
        const b = before.get(cmd) ?? { calls: 0, usec: 0 };
        const calls = s.calls - b.calls;
        const usec = s.usec - b.usec;
        // This test's own INFO calls between the snapshots (commandstats once, stats twice) come out at
        // the average cost: what is left is soakwatch's.
        const mine = cmd === 'info' ? Math.min(3, calls) : 0;
        return {
          cmd,
          calls: calls - mine,
          usec: calls > 0 ? Math.round((usec * (calls - mine)) / calls) : 0,
        };
      })
      .filter((s) => s.calls > 0);
    const ownUsec = own.reduce((sum, s) => sum + s.usec, 0);
    const perTick = Math.round(ownUsec / reports.length);
    const durations = reports.map((r) => r.sample?.durationMs ?? Number.NaN);
    console.log(
      `load ${opsPerSec} ops/s; sample ms ${durations.join(',')}; soakwatch server time per tick ${perTick} µs on the loaded node: ${own.map((s) => `${s.cmd} ${s.calls}×${Math.round(s.usec / s.calls)}µs`).join(', ')}`,
    );

    expect(opsPerSec).toBeGreaterThanOrEqual(20_000);
    for (const r of reports) {
      expect(r.sample?.complete).toBe(true);
      expect(r.sample?.durationMs).toBeLessThanOrEqual(BUDGET_MS());
    }
    expect(messagesOf(h, 'loaded', 'alert')).toEqual([]);
    expect(reports.every((r) => r.state === 'SOAKING')).toBe(true);
    recordRow({
      fault: '(k) target master under ≥ 20k ops/s (redis-benchmark, pipelined)',
      detectedAfterTicks: null,
      stateAfter: 'SOAKING, every sample whole, no alert (nothing to detect: load is not a fault)',
      lost: 'nothing',
      tookMs: Date.now() - started,
      notes: `${opsPerSec} ops/s on the node; sample ${Math.min(...durations)}–${Math.max(...durations)} ms (budget ${BUDGET_MS()}); soakwatch server time ${perTick} µs/tick on it (${own.map((s) => `${s.cmd} ${Math.round(s.usec / s.calls)} µs`).join(', ')})`,
      file: 'test/faults/target-load.test.ts',
    });
  });

  it('(f) a master frozen (SIGSTOP) for 3 ticks, then SIGCONT: within budget, blind time not credited, normal after', async () => {
    const started = Date.now();
    const healthy = await tick();
    expect(healthy.sample?.complete).toBe(true);
    const node = target().masters[2] as RedisProcess;
    node.freeze();
    const frozen: (TenantTickReport & { wallMs: number })[] = [];
    try {
      for (let i = 0; i < 3; i++) frozen.push(await tick());
    } finally {
      node.thaw();
    }
    const thawed: (TenantTickReport & { wallMs: number })[] = [];
    for (let i = 0; i < 3; i++) thawed.push(await tick());

    const address = `127.0.0.1:${node.port}`;
    for (const r of frozen) {
      expect(r.sample?.complete).toBe(false);
      expect(r.sample?.failedNodes).toContain(address);
      expect(r.sample?.durationMs).toBeLessThanOrEqual(BUDGET_MS());
      // The whole tick, store writes and judging included, stays near the sample budget.
      expect(r.wallMs).toBeLessThanOrEqual(BUDGET_MS() + 1_000);
    }
    // Once the blind ticks outweigh the window's coverage the verdict says so (never a good value).
    expect(frozen.at(-1)?.verdict?.inconclusive).toBe(true);
    // Blind ticks are no soak time: the clock did not move while the node was frozen.
    expect(frozen.at(-1)?.verdict?.remainingMs).toBeGreaterThanOrEqual(healthy.verdict?.remainingMs ?? 0);
    const detected = frozen.findIndex((r) => r.verdict?.firing.some((f) => f.id === 'sampler'));
    expect(detected).toBeGreaterThanOrEqual(0);
    // Normal again: whole samples, and the clock moves.
    expect(thawed.at(-1)?.sample?.complete).toBe(true);
    expect(thawed.at(-1)?.verdict?.remainingMs ?? Number.POSITIVE_INFINITY).toBeLessThan(
      frozen.at(-1)?.verdict?.remainingMs ?? 0,
    );
    expect([...frozen, ...thawed].some((r) => r.state === 'PASSED')).toBe(false);
    recordRow({
      fault: '(f) target master SIGSTOP for 3 ticks, then SIGCONT',
      detectedAfterTicks: detected + 1,
      stateAfter: 'SOAKING; frozen ticks partial + inconclusive; whole again at the first tick after SIGCONT',
      lost: 'nothing (3 blind ticks not credited)',
      tookMs: Date.now() - started,
      notes: `inconclusive ${frozen.map((r) => r.verdict?.inconclusive).join('/')}; frozen-tick sample ${frozen.map((r) => r.sample?.durationMs).join('/')} ms, wall ${frozen.map((r) => r.wallMs).join('/')} ms (budget ${BUDGET_MS()}); sampler alert names ${address}: ${messagesOf(h, 'loaded', 'alert').some((m) => m.body.includes(address))}`,
      file: 'test/faults/target-load.test.ts',
    });
  });
});
