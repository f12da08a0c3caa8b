import { describe, expect, it } from 'vitest';
import { type ClusterNode, type NodeView, TopologyCache } from '../../../src/redis/index.js';

function node(port: number, role: ClusterNode['role']): ClusterNode {
  return { host: '10.0.0.1', port, address: `10.0.0.1:${port}`, role, health: 'online' };
}

// Two shards: 7001 ← 7003, 7002 ← 7004.
const KNOWN = [node(7001, 'master'), node(7002, 'master'), node(7003, 'replica'), node(7004, 'replica')];

function views(overrides: Partial<Record<number, Partial<NodeView>>> = {}): NodeView[] {
  const base: Record<number, NodeView> = {
    7001: { address: '10.0.0.1:7001', ok: true, role: 'master', replicas: ['10.0.0.1:7003'] },
    7002: { address: '10.0.0.1:7002', ok: true, role: 'master', replicas: ['10.0.0.1:7004'] },
    7003: {
      address: '10.0.0.1:7003',
      ok: true,
      role: 'replica',
      masterAddress: '10.0.0.1:7001',
      replicas: [],
    },
    7004: {
      address: '10.0.0.1:7004',
      ok: true,
      role: 'replica',
      masterAddress: '10.0.0.1:7002',
      replicas: [],
    },
  };
  return Object.entries(base).map(([port, v]) => ({ ...v, ...overrides[Number(port)] }));
}

describe('TopologyCache', () => {
  it('is due before the first read, then trusted until it is old by samples or by time', () => {
    const cache = new TopologyCache({ maxAgeMs: 60_000, maxSamples: 3 });
    expect(cache.due(0)).toBe(true);

    cache.refreshed(1_000);
    expect(cache.due(2_000)).toBe(false);
    cache.sampled();
    cache.sampled();
    expect(cache.due(2_000)).toBe(false);
    cache.sampled();
    expect(cache.due(2_000)).toBe(true);

    cache.refreshed(10_000);
    expect(cache.due(69_999)).toBe(false);
    expect(cache.due(70_000)).toBe(true);
    // A clock that went backwards: the age is unknown, so the topology is re-read.
    expect(cache.due(9_000)).toBe(true);
  });

  it('sees no change while every node reports what the topology and its last report say', () => {
    const cache = new TopologyCache();
    expect(cache.check(KNOWN, views())).toBeUndefined();
    expect(cache.check(KNOWN, views())).toBeUndefined();
  });

  it('asks for a re-read when a known node does not answer', () => {
    const cache = new TopologyCache();
    cache.check(KNOWN, views());

    const reason = cache.check(KNOWN, views({ 7001: { ok: false, role: 'unknown', replicas: [] } }));

    expect(reason).toMatch(/10\.0\.0\.1:7001 did not answer/);
  });

  it('asks for a re-read when a replica was promoted (manual failover), even on the first check', () => {
    const cache = new TopologyCache();

    const reason = cache.check(
      KNOWN,
      views({
        7001: { role: 'replica', masterAddress: '10.0.0.1:7003', replicas: [] },
        7003: { role: 'master', masterAddress: undefined, replicas: ['10.0.0.1:7001'] },
      }),
    );

    expect(reason).toMatch(/7001 is now a replica/);
    expect(reason).toMatch(/7003 is now a master/);
  });

  it('asks for a re-read when a master reports a replica the topology does not know', () => {
    const cache = new TopologyCache();
    cache.check(KNOWN, views());

    const reason = cache.check(KNOWN, views({ 7002: { replicas: ['10.0.0.1:7004', '10.0.0.1:7005'] } }));

    expect(reason).toMatch(/report 3 replicas, the topology 2/);
  });

  it('asks for a re-read when a replica follows another master than in its last report', () => {
    const cache = new TopologyCache();
    cache.check(KNOWN, views());

    const reason = cache.check(KNOWN, views({ 7004: { masterAddress: '10.0.0.1:7001' } }));

    expect(reason).toMatch(/7004 changed its replication/);
    // Once reported, the new state is the baseline.
    expect(cache.check(KNOWN, views({ 7004: { masterAddress: '10.0.0.1:7001' } }))).toBeUndefined();
  });
});
