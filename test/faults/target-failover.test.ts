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
import { nodeInfo, onNode, replicaOf } from '../support/scenario/world.js';
import { useCluster, useStandalone } from '../support/topologies.js';
import { printReport, recordRow, SAMPLER_CRITERION, waitFor } from './support.js';

// Issue 12 row e: a target master killed and its replica promoted, mid-soak. The tick in between is
// partial (no data, with the cause), on-call hears within 2 ticks, the soak never passes on partial data,
// and the clock resumes once the promoted replica serves the slots.

const legacy = useStandalone();
const target = useCluster({ masters: 3, replicasPerMaster: 1 });
const store = useStandalone();

let h: Harness;
beforeAll(async () => {
  const base = compressedPolicy();
  h = await openHarness(
    scenarioConfig(store().node.url, [
      {
        id: 'promoted',
        legacy: { url: legacy().node.url },
        target: { url: target().url, cluster: true },
        // A longer soak than the fixture's 5 s: the fault and the recovery both fit inside it.
        soak: {
          ...base,
          soak: {
            ...base.soak,
            duration: '12s',
            criteria: [...(base.soak?.criteria ?? []), SAMPLER_CRITERION],
          },
        },
      },
    ]),
  );
});
afterAll(async () => {
  printReport();
  await h?.close();
});

describe('(e) a target master killed, its replica promoted', () => {
  it('partial ticks are no data with the cause, on-call told within 2 ticks, no pass on partial data, the clock resumes', async () => {
    const started = Date.now();
    const t0 = Date.now();
    await forceCutover(h, 'promoted', t0);
    const reports: TenantTickReport[] = [];
    let now = t0;
    const tick = async () => {
      now += SECOND;
      const r = await h.tick('promoted', now);
      reports.push(r);
      return r;
    };
    for (let i = 0; i < 3; i++) expect((await tick()).sample?.complete).toBe(true);
    const remainingBefore = reports.at(-1)?.verdict?.remainingMs ?? 0;

    const master = target().masters[0] as RedisProcess;
    const replica = await replicaOf(target(), master);
    await master.kill();
    const killedAt = reports.length;
    const partial: TenantTickReport[] = [];
    for (let i = 0; i < 2; i++) partial.push(await tick());
    // Promote the replica (what ElastiCache's automatic failover does), and wait until it owns the slots.
    await onNode(replica, (c) => c.call('CLUSTER', 'FAILOVER', 'TAKEOVER'));
    await waitFor(
      'the replica promoted',
      async () => (await nodeInfo(replica, 'replication')).get('role') === 'master',
    );
    // …and until the cluster declares the dead master failed (cluster-node-timeout), as it would before
    // ElastiCache replaces the node: until then it is a master the cluster still counts on.
    const survivor = target().masters[1] as RedisProcess;
    await waitFor(
      'the dead master flagged fail',
      async () =>
        String(await onNode(survivor, (c) => c.call('CLUSTER', 'NODES')))
          .split('\n')
          .some((l) => l.includes(`:${master.port}@`) && /master,fail /.test(l)),
      15_000,
    );
    const recovered: TenantTickReport[] = [];
    for (let i = 0; i < 16 && recovered.at(-1)?.state !== 'PASSED'; i++) recovered.push(await tick());

    const address = `127.0.0.1:${master.port}`;
    // The ticks with the master dead: partial, the dead node named, inconclusive (never a good value).
    for (const r of partial) {
      expect(r.sample?.complete, 'partial sample').toBe(false);
      expect(r.sample?.failedNodes).toContain(address);
      expect(r.verdict?.inconclusive).toBe(true);
      expect(r.state).toBe('SOAKING');
    }
    const detected = partial.findIndex((r) => r.verdict?.firing.some((f) => f.id === 'sampler'));
    expect(detected, 'sampler firing within 2 ticks').toBeGreaterThanOrEqual(0);
    const told = messagesOf(h, 'promoted', 'alert').find((m) => m.body.includes(address));
    expect(told, 'on-call told which node').toBeDefined();
    // Blind time is no soak time: the clock did not move while the sample was partial.
    expect(partial.at(-1)?.verdict?.remainingMs).toBeGreaterThanOrEqual(remainingBefore);
    // After the promotion the samples are whole again and the clock resumes (down to the pass).
    const firstWhole = recovered.findIndex((r) => r.sample?.complete);
    expect(firstWhole, 'a whole sample after the promotion').toBeGreaterThanOrEqual(0);
    expect(recovered.at(-1)?.state).toBe('PASSED');
    // Never PASSED on a partial sample.
    expect(reports.filter((r) => r.state === 'PASSED' && !r.sample?.complete)).toEqual([]);
    const resolved = messagesOf(h, 'promoted', 'resolved');
    recordRow({
      fault: '(e) target master SIGKILLed, replica promoted (mid-soak)',
      detectedAfterTicks: detected + 1,
      stateAfter: `SOAKING (partial: ${partial.length} ticks inconclusive) → whole after ${firstWhole + 1} tick(s) → PASSED`,
      lost: 'nothing (blind ticks not credited)',
      tookMs: Date.now() - started,
      notes: `ticks before kill ${killedAt}; on-call alert names ${address}; resolved messages ${resolved.length}; sample max ${Math.max(...reports.map((r) => r.sample?.durationMs ?? 0))} ms`,
      file: 'test/faults/target-failover.test.ts',
    });
  });
});
