import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import { CONNECTION_NAME } from '../../src/redis/options.js';
import { runTenantTask } from '../../src/runtime/fanout.js';
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

describe('a warm per-tenant container', () => {
  it('keeps the connections of its fleet.warmTenants most recent tenants and closes the others', async () => {
    const tenants = Array.from({ length: 6 }, (_, i) => ({
      id: `w${i}`,
      legacy: { url: legacy().node.url, dbs: [i], heartbeat: { enabled: false } },
      target: { url: target().node.url, dbMap: { [String(i)]: `w${i}:` } },
    }));
    const config = configSchema.parse({
      stateStore: { url: state().node.url, keyPrefix: 'soakwatch-warm:' },
      fleet: { warmTenants: 2 },
      tenants,
    });
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
