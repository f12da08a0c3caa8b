import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster, useStandalone } from '../../support/topologies.js';
import {
  compressedPolicy,
  forceCutover,
  type Harness,
  messagesOf,
  openHarness,
  SECOND,
  scenarioConfig,
  type TenantInput,
  tickSeconds,
} from './fixture.js';

// A target too small for its data: Redis evicts (allkeys-lru), and every eviction burst resets the soak.

const legacy = useStandalone();
const target = useCluster({
  masters: 2,
  replicasPerMaster: 0,
  config: { maxmemory: '4mb', 'maxmemory-policy': 'allkeys-lru' },
});
const store = useStandalone();

let h: Harness;
let writer: Cluster;
let batch = 0;

beforeAll(async () => {
  const tenant = (id: string, maxResets: number): TenantInput => ({
    id,
    legacy: { url: legacy().node.url },
    target: { url: target().url, cluster: true },
    soak: compressedPolicy({ maxResets }),
  });
  h = await openHarness(scenarioConfig(store().node.url, [tenant('evicting', 3), tenant('flaky', 1)]));
  writer = new Cluster([{ host: '127.0.0.1', port: target().masters[0]?.port ?? 0 }]);
});

afterAll(async () => {
  writer?.disconnect();
  await h?.close();
});

async function evictedKeys(): Promise<number> {
  let total = 0;
  for (const m of target().masters) {
    const info = await writer
      .nodes('master')
      .find((n) => n.options.port === m.port)
      ?.info('stats');
    total += Number(/evicted_keys:(\d+)/.exec(info ?? '')?.[1] ?? 0);
  }
  return total;
}

const filled: string[] = [];

/** Writes 16 KiB values until the target has evicted keys (a few MB at most). */
async function fillUntilEvicting(): Promise<number> {
  const before = await evictedKeys();
  const value = 'x'.repeat(16 * 1024);
  batch++;
  for (let round = 0; round < 20; round++) {
    const keys = Array.from({ length: 50 }, (_, i) => `fill:${batch}:${round}:${i}`);
    filled.push(...keys);
    await Promise.all(keys.map((key) => writer.set(key, value)));
    const evicted = (await evictedKeys()) - before;
    if (evicted > 0) return evicted;
  }
  throw new Error('the target never evicted: maxmemory not reached');
}

/**
 * The burst is over: its keys are deleted. A node left at its maxmemory keeps evicting on its own (any
 * command, an INFO included, can push it over by a few bytes), which is a real, continuing breach.
 */
async function drain(): Promise<void> {
  await Promise.all(filled.splice(0).map((key) => writer.del(key)));
}

describe('target evictions during the soak', () => {
  it('reset the soak clock with the evictions as the reason, and the soak passes after they stop', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'evicting', t0);

    const reports = await tickSeconds(h, 'evicting', t0 + SECOND, 16, async (i) => {
      // One burst just before tick 4 samples: fill until it evicts, then free the memory again.
      if (i === 4) {
        await fillUntilEvicting();
        await drain();
      }
    });

    const resetAt = reports.findIndex((r) => r.transitions.some((t) => t.kind === 'reset'));
    expect(resetAt).toBe(4);
    expect(reports.slice(0, resetAt).every((r) => r.state === 'SOAKING')).toBe(true);
    expect(reports[resetAt]?.verdict?.resets).toEqual([
      expect.objectContaining({
        phase: 'soak',
        criterion: 'evictions',
        reason: expect.stringMatching(/^evictions: sum\(targetEvictions\) over 3s = [1-9]\d* > 0$/),
      }),
    ]);
    expect(messagesOf(h, 'evicting', 'soak-reset')).toHaveLength(1);
    expect(messagesOf(h, 'evicting', 'alert')[0]?.body).toContain('[CRITICAL] evictions');
    // The 3 s window holds the burst for 3 samples (clock held at zero), then 5 s of clean soak pass.
    const passedAt = reports.findIndex((r) => r.state === 'PASSED');
    expect(passedAt).toBe(resetAt + 2 + 5);
    expect(reports[passedAt]?.transitions[0]?.reason).toMatch(/^soak held for 5s .*1 resets\)$/);
  });

  it('fail the soak once the resets exceed maxResets, and the failure is final', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'flaky', t0);

    const reports = await tickSeconds(h, 'flaky', t0 + SECOND, 12, async (i) => {
      if (i === 2 || i === 7) {
        await fillUntilEvicting();
        await drain();
      }
    });

    const kinds = reports.flatMap((r) => r.transitions.map((t) => `${t.kind}:${t.to}`));
    expect(kinds).toEqual(['reset:SOAKING', 'reset:SOAKING', 'failed:FAILED']);
    const failed = reports.find((r) => r.state === 'FAILED');
    expect(failed?.transitions.at(-1)?.reason).toBe('too many resets: 2 > maxResets 1');
    expect(reports.at(-1)?.state).toBe('FAILED');
    expect(messagesOf(h, 'flaky', 'failed')).toHaveLength(1);
    expect((await h.audit('flaky')).map((e) => e.to)).toEqual(['SOAKING', 'SOAKING', 'SOAKING', 'FAILED']);
    await expect(
      h.act('flaky', { action: 'approve', actor: 'release-manager@test' }, t0 + 20 * SECOND),
    ).rejects.toThrow(/approve refused/);
  });
});
