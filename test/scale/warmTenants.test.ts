import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import { CONNECTION_NAME } from '../../src/redis/options.js';
import { runRound, runTenantTask } from '../../src/runtime/fanout.js';
import { openTickRuntime } from '../../src/runtime/tick.js';
import { roundTasks } from '../../src/tick/fanout.js';
import { useStandalone } from '../support/topologies.js';

// A warm tickTenant container ticks whichever tenants Lambda hands it: it keeps the connections of its
// `fleet.warmTenants` most recent tenants only, so a node shared by many tenants sees a bounded number
// of soakwatch connections per container, and reports what it holds.

const legacy = useStandalone();
const target = useStandalone();
const state = useStandalone();
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function soakwatchClients(url: string): Promise<number> {
  const c = new Redis(url);
  try {
    const list = String(await c.client('LIST'));
    return list.split('\n').filter((l) => l.includes(` name=${CONNECTION_NAME} `)).length;
  } finally {
    c.disconnect();
  }
}

/** `count` tenants `<name>0…` on the shared legacy and target, one legacy db each, and their config. */
function fleetOf(name: string, count: number, fleet: Record<string, number>) {
  const tenants = Array.from({ length: count }, (_, i) => ({
    id: `${name}${i}`,
    legacy: { url: legacy().node.url, dbs: [i], heartbeat: { enabled: false } },
    target: { url: target().node.url, dbMap: { [String(i)]: `${name}${i}:` } },
  }));
  const config = configSchema.parse({
    stateStore: { url: state().node.url, keyPrefix: `soakwatch-${name}:` },
    fleet,
    tenants,
  });
  return { tenants, config };
}

describe('a warm per-tenant container', () => {
  it('keeps the connections of its fleet.warmTenants most recent tenants and closes the others', async () => {
    const { tenants, config } = fleetOf('w', 6, { warmTenants: 2 });
    const rt = await openTickRuntime(config, { log: quiet, aws: false });
    const counted: number[] = [];
    const metrics = {
      addMetric(name: string, _unit: 'Count', value: number) {
        if (name === 'RedisConnectionsHeld') counted.push(value);
      },
    };
    try {
      const now = Date.now();
      const held: number[] = [];
      for (const task of roundTasks(
        tenants.map((t) => t.id),
        now,
        60_000,
      )) {
        const report = await runTenantTask(
          { deps: rt.deps, metrics, pool: rt.clients.pool, warmTenants: 2 },
          task,
          { clock: Date.now, remainingMs: 30_000 },
        );
        expect(report).toMatchObject({ outcome: 'ticked', tenantReport: { judged: true } });
        held.push(rt.clients.pool.tenants().length);
      }
      expect(Math.max(...held)).toBeLessThanOrEqual(2);
      expect(rt.clients.pool.tenants()).toEqual(['w4', 'w5']);
      // What the container reports is what the nodes see.
      const open = rt.clients.pool.openConnections();
      expect(counted.at(-1)).toBe(open);
      expect(await soakwatchClients(legacy().node.url)).toBeLessThanOrEqual(open);
      expect(await soakwatchClients(target().node.url)).toBeLessThanOrEqual(open);
      expect(open).toBeGreaterThan(0);
      // Without the bound the same six tenants keep all their connections.
      const unbounded = await openTickRuntime(config, { log: quiet, aws: false });
      try {
        for (const task of roundTasks(
          tenants.map((t) => t.id),
          now + 1_000,
          60_000,
        ))
          await runTenantTask({ deps: unbounded.deps, metrics, pool: unbounded.clients.pool }, task, {
            clock: Date.now,
            remainingMs: 30_000,
          });
        expect(unbounded.clients.pool.tenants()).toHaveLength(6);
        expect(unbounded.clients.pool.openConnections()).toBeGreaterThan(open * 2);
      } finally {
        await unbounded.close();
      }
    } finally {
      await rt.close();
    }
  });
});

describe('the connection census', () => {
  it("sums every container's report per node to what the nodes' CLIENT LIST shows, and flags a node above the bound", async () => {
    const { config } = fleetOf('c', 4, { warmTenants: 2, fanOutFrom: 100, maxConnectionsPerNode: 5 });
    // Two containers: one ticks two tenants as per-tenant tasks, the other a whole round in process.
    const [a, b] = await Promise.all([
      openTickRuntime(config, { log: quiet, aws: false }),
      openTickRuntime(config, { log: quiet, aws: false }),
    ]);
    const seen: Record<string, number[]> = {};
    const metrics = {
      addMetric(name: string, _unit: 'Count', value: number) {
        seen[name] = [...(seen[name] ?? []), value];
      },
    };
    const warned: unknown[] = [];
    const log = { ...quiet, warn: (_m: string, extra?: unknown) => warned.push(extra) };
    // Container a: per-tenant tasks; container b: a whole round in process, then the census.
    const tasksOnA = async (ids: string[], at: number) => {
      for (const task of roundTasks(ids, at, 60_000))
        await runTenantTask({ deps: a.deps, metrics, pool: a.clients.pool, warmTenants: 2 }, task, {
          clock: Date.now,
          remainingMs: 30_000,
        });
    };
    const roundOnB = (at: number) =>
      runRound(
        config,
        { now: at },
        {
          local: async () => ({ deps: { ...b.deps, log }, metrics, pool: b.clients.pool }),
          metrics,
          clock: Date.now,
          remainingMs: () => 30_000,
        },
      );
    try {
      const now = Date.now();
      await tasksOnA(['c0', 'c1'], now);
      const round = await roundOnB(now + 1_000);
      const census = round.connections;
      expect(census?.processes).toBe(2);
      const legacyAddress = `127.0.0.1:${legacy().node.port}`;
      const targetAddress = `127.0.0.1:${target().node.port}`;
      const countOf = (node: string) => census?.busiest.find((n) => n.node === node)?.connections;
      // Exactly what the nodes see of soakwatch: both containers' connections, not one container's.
      expect(countOf(legacyAddress)).toBe(await soakwatchClients(legacy().node.url));
      expect(countOf(targetAddress)).toBe(await soakwatchClients(target().node.url));
      expect(countOf(legacyAddress)).toBe(
        (a.clients.pool.openConnectionsByNode().get(legacyAddress) ?? 0) +
          (b.clients.pool.openConnectionsByNode().get(legacyAddress) ?? 0),
      );
      expect(census?.maxPerNode).toBeGreaterThan(5);
      expect(census?.overBound.map((n) => n.node).sort()).toEqual([legacyAddress, targetAddress].sort());
      expect(seen.RedisNodesOverConnectionBound?.at(-1)).toBe(2);
      expect(seen.RedisConnectionsPerNodeMax?.at(-1)).toBe(census?.maxPerNode);
      expect(warned).toContainEqual(expect.objectContaining({ bound: 5 }));

      // A container that closed its connections reports so; the next census no longer counts them.
      await a.clients.pool.closeAll();
      await tasksOnA(['c0'], now + 2_000);
      const later = await roundOnB(now + 3_000);
      expect(later.connections?.busiest.find((n) => n.node === legacyAddress)?.connections).toBe(
        await soakwatchClients(legacy().node.url),
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
