import { connect } from 'node:net';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvents } from '../../src/runtime/index.js';
import type { TenantTickReport } from '../../src/tick/index.js';
import { FUTURE_SAMPLE_ALERT_ID } from '../../src/tick/index.js';
import {
  compressedPolicy,
  forceCutover,
  type Harness,
  messagesOf,
  openHarness,
  SECOND,
  scenarioConfig,
  type TenantInput,
} from '../integration/scenarios/fixture.js';
import { nodeInfo } from '../support/scenario/world.js';
import { useReplicated, useStandalone } from '../support/topologies.js';
import { printReport, recordRow, waitFor } from './support.js';

// Issue 12 rows g, h, i, j: a Sentinel failover of the legacy primary (mid-replication and mid-soak), the
// CDC reconnecting with a full resync, a tick host's clock 90 s off, and an ElastiCache event storm.
// The long-running scenario versions of the failover-free faults are in test/scenario/legacy-faults.test.ts
// (CDC resync under production-like load) and test/integration/scenarios/futureSamples.test.ts.

const sentinelLegacy = useReplicated({ replicas: 1, sentinels: 1 });
const plainLegacy = useStandalone();
const resyncLegacy = useStandalone();
const target = useStandalone();
const store = useStandalone();

const STREAM_RESTART = {
  id: 'stream-restart',
  metric: 'streamRestarts',
  aggregate: 'sum' as const,
  window: '3s',
  threshold: 0,
};
// Replication judged on what these worlds have (no CDC copier: empty legacy, empty target): key drift
// and stream restarts; the heartbeat is off (it would need a copier).
const replicationPolicy = () => {
  const base = compressedPolicy();
  return {
    ...base,
    replication: {
      ...base.replication,
      criteria: [
        {
          id: 'key-drift',
          metric: 'keyDrift',
          aggregate: 'max' as const,
          window: '3s',
          threshold: 2,
          consecutive: 2,
        },
        STREAM_RESTART,
      ],
    },
  };
};

let h: Harness;
beforeAll(async () => {
  const sentinel = sentinelLegacy().sentinels[0];
  if (!sentinel) throw new Error('no Sentinel');
  const viaSentinel = (id: string): TenantInput => ({
    id,
    legacy: {
      sentinel: { hosts: [`127.0.0.1:${sentinel.port}`], name: sentinelLegacy().masterName },
      heartbeat: { enabled: false },
    },
    target: { url: target().node.url },
    soak: replicationPolicy(),
  });
  h = await openHarness(
    scenarioConfig(store().node.url, [
      viaSentinel('g-replicating'),
      viaSentinel('g-soaking'),
      {
        id: 'h-resync',
        legacy: { url: resyncLegacy().node.url, heartbeat: { enabled: false } },
        target: { url: target().node.url },
        soak: replicationPolicy(),
      },
      { id: 'i-skew', legacy: { url: plainLegacy().node.url }, target: { url: target().node.url } },
      {
        id: 'j-storm',
        legacy: { url: plainLegacy().node.url },
        target: { url: target().node.url, replicationGroupId: 'j-storm-rg' },
        soak: { ...compressedPolicy(), soak: { ...compressedPolicy().soak, duration: '20s' } },
      },
    ]),
  );
});
afterAll(async () => {
  printReport();
  await h?.close();
});

describe('(g) a Sentinel failover of the legacy primary', () => {
  it('mid-replication and mid-soak: the next tick follows the new primary, recorded; legacy criteria not fooled', async () => {
    const started = Date.now();
    const t0 = Date.now();
    await forceCutover(h, 'g-soaking', t0);
    const both = async (now: number) => [await h.tick('g-replicating', now), await h.tick('g-soaking', now)];
    for (let i = 1; i <= 2; i++) await both(t0 + i * SECOND);
    const oldPrimary = `127.0.0.1:${sentinelLegacy().primary.port}`;

    const promoted = await sentinelLegacy().failover();
    const newPrimary = `127.0.0.1:${promoted.port}`;
    const after: TenantTickReport[][] = [];
    for (let i = 3; i <= 8; i++) after.push(await both(t0 + i * SECOND));

    const stored = await h.clients.store.samples<{
      at: number;
      legacy: { primary?: string; primaryChanged?: boolean };
    }>('g-replicating', t0 + 3 * SECOND, t0 + 3 * SECOND);
    expect(newPrimary).not.toBe(oldPrimary);
    expect(stored[0]?.legacy).toMatchObject({ primary: newPrimary, primaryChanged: true });
    const soakStored = await h.clients.store.samples<{ legacy: { primary?: string } }>(
      'g-soaking',
      t0 + 8 * SECOND,
      t0 + 8 * SECOND,
    );
    expect(soakStored[0]?.legacy.primary).toBe(newPrimary);
    // Replication: the CDC must resync from the new primary, so the stream restart is news and holds readiness.
    const replicating = after.map((r) => r[0] as TenantTickReport);
    const restartAt = replicating.findIndex((r) => r.verdict?.firing.some((f) => f.id === 'stream-restart'));
    expect(restartAt).toBe(0);
    expect(replicating.slice(0, 3).every((r) => r.state === 'REPLICATING')).toBe(true);
    // Soak: the promotion is neither legacy writes nor application clients.
    const soaking = after.map((r) => r[1] as TenantTickReport);
    const fooled = soaking
      .flatMap((r) => r.verdict?.firing.map((f) => f.id) ?? [])
      .filter((id) => id.startsWith('legacy-'));
    expect(fooled).toEqual([]);
    expect(messagesOf(h, 'g-soaking', 'alert')).toEqual([]);
    expect(soaking.every((r) => r.ok && r.sample?.complete)).toBe(true);
    recordRow({
      fault: '(g) Sentinel failover of the legacy primary (mid-replication + mid-soak)',
      detectedAfterTicks: 1,
      stateAfter: `both follow ${newPrimary} at the next tick (primaryChanged recorded); replicating: stream-restart fires, readiness held; soaking: ${soaking.at(-1)?.state}, no legacy-* firing, no alert`,
      lost: 'nothing',
      tookMs: Date.now() - started,
      file: 'test/faults/legacy-events.test.ts',
    });
  });
});

/** A full resync as a CDC tool starts it: `PSYNC ? -1` on a raw connection, closed once it began. */
async function fullResync(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write('*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n'),
    );
    socket.on('data', (d: Buffer) => {
      if (d.toString().includes('FULLRESYNC')) {
        socket.destroy();
        resolve();
      }
    });
    socket.on('error', reject);
  });
}

describe('(h) the replication stream restarted (a full resync)', () => {
  it('streamRestarts fires at the next tick and readiness is revoked', async () => {
    const started = Date.now();
    const t0 = Date.now();
    const reports: TenantTickReport[] = [];
    let now = t0;
    for (let i = 0; i < 10 && reports.at(-1)?.state !== 'CUTOVER_READY'; i++) {
      now += SECOND;
      reports.push(await h.tick('h-resync', now));
    }
    expect(reports.at(-1)?.state).toBe('CUTOVER_READY');
    const before = Number((await nodeInfo(resyncLegacy().node, 'stats')).get('sync_full'));

    await fullResync(resyncLegacy().node.port);
    await waitFor(
      'sync_full counted',
      async () => Number((await nodeInfo(resyncLegacy().node, 'stats')).get('sync_full')) > before,
    );
    const after = await h.tick('h-resync', now + SECOND);

    expect(after.verdict?.firing.map((f) => f.id)).toContain('stream-restart');
    expect(after.transitions.map((t) => `${t.kind}:${t.from}→${t.to}`)).toEqual([
      'revoked:CUTOVER_READY→REPLICATING',
    ]);
    expect(messagesOf(h, 'h-resync', 'alert').some((m) => m.body.includes('stream-restart'))).toBe(true);
    recordRow({
      fault: '(h) CDC full resync (PSYNC ? -1) while CUTOVER_READY',
      detectedAfterTicks: 1,
      stateAfter: 'stream-restart fires; readiness revoked (CUTOVER_READY → REPLICATING); on-call told',
      lost: 'nothing',
      tookMs: Date.now() - started,
      file: 'test/faults/legacy-events.test.ts',
    });
  });
});

describe('(i) a tick host 90 s ahead or behind', () => {
  it('ahead: refused loudly, nothing stored; behind: no double credit; normal again after', async () => {
    const started = Date.now();
    const t0 = Date.now();
    await forceCutover(h, 'i-skew', t0);
    const ok1 = await h.tick('i-skew', t0 + SECOND);
    const ok2 = await h.tick('i-skew', t0 + 2 * SECOND);
    const latestBefore = await h.clients.store.latestSample<{ at: number }>('i-skew');

    const ahead = await h.tick('i-skew', Date.now() + 90 * SECOND);
    const latestAfterAhead = await h.clients.store.latestSample<{ at: number }>('i-skew');
    const behind = await h.tick('i-skew', t0 + 2 * SECOND - 90 * SECOND);
    const latestAfterBehind = await h.clients.store.latestSample<{ at: number }>('i-skew');
    const back = await h.tick('i-skew', t0 + 3 * SECOND);

    expect(ok2.ok && ok1.ok).toBe(true);
    expect(ahead).toMatchObject({ ok: false, futureSample: expect.objectContaining({ kind: 'tick' }) });
    expect(ahead.error).toMatch(/ahead/);
    expect(latestAfterAhead?.at).toBe(latestBefore?.at);
    expect(messagesOf(h, 'i-skew', 'alert').some((m) => m.body.includes(FUTURE_SAMPLE_ALERT_ID))).toBe(true);
    // 90 s behind: the stored sample is from this host's future: refused loudly too, nothing credited.
    expect(behind).toMatchObject({
      ok: false,
      futureSample: expect.objectContaining({ kind: 'stored' }),
      transitions: [],
    });
    expect(latestAfterBehind?.at).toBe(latestBefore?.at);
    expect(back).toMatchObject({ ok: true, judged: true, state: 'SOAKING' });
    // One second of soak per second of watched time: the skewed ticks credited nothing.
    expect((ok2.verdict?.remainingMs ?? 0) - (back.verdict?.remainingMs ?? 0)).toBeLessThanOrEqual(SECOND);
    expect(messagesOf(h, 'i-skew', 'resolved').length).toBe(1);
    recordRow({
      fault: '(i) tick host clock 90 s ahead / 90 s behind',
      detectedAfterTicks: 1,
      stateAfter:
        'ahead: refused (watcher:future-sample alert, nothing stored); behind: refused (the stored sample is ahead of it), no credit; next right tick judged, alert resolved',
      lost: 'nothing',
      tookMs: Date.now() - started,
      file: 'test/faults/legacy-events.test.ts',
    });
  });
});

describe('(j) an ElastiCache event storm', () => {
  it('100 events for one group in a minute, duplicated and out of order: one reset for the incident, the rest recorded', async () => {
    const started = Date.now();
    // In the past: the storm spans a minute and the ticks after it must not run ahead of the store's clock.
    const t0 = Date.now() - 70 * SECOND;
    await forceCutover(h, 'j-storm', t0);
    for (let i = 1; i <= 3; i++) await h.tick('j-storm', t0 + i * SECOND);
    const rt = h.eventsRuntime();
    // One incident: a failover and its node replacement, seen through several paths, plus routine events.
    const types = [
      'ElastiCache:FailoverComplete',
      'ElastiCache:NodeReplaceStarted',
      'ElastiCache:SnapshotComplete',
    ];
    const storm = Array.from({ length: 100 }, (_, i) => {
      // Within one minute, delivered in a scrambled order; every 4th a re-delivery of the message before.
      const n = i % 4 === 3 ? i - 1 : i;
      const type = types[n % 3] as string;
      const at = t0 + 3_000 + ((n * 7919) % 60) * 1_000;
      return { id: `storm-${n}`, at, body: { [type]: `j-storm-rg-000${(n % 3) + 1}-001` } };
    });
    const accepted = { accepted: 0, rejected: 0 };
    for (const e of storm) {
      const r = await ingestEvents(rt, {
        kind: 'elasticache',
        event: {
          Records: [
            {
              Sns: {
                MessageId: e.id,
                Timestamp: new Date(e.at).toISOString(),
                Message: JSON.stringify(e.body),
              },
            },
          ],
        } as unknown as SNSEvent,
      });
      accepted.accepted += r.accepted;
      accepted.rejected += r.rejected;
    }
    const reports: TenantTickReport[] = [];
    for (let i = 0; i < 3; i++) reports.push(await h.tick('j-storm', t0 + 64 * SECOND + i * SECOND));

    const audit = await h.audit('j-storm');
    const recorded = (await h.clients.store.events('j-storm', 0, Date.now())).length;
    expect(audit.filter((e) => e.action === 'reset')).toHaveLength(1);
    expect(messagesOf(h, 'j-storm', 'soak-reset')).toHaveLength(1);
    expect((await h.state('j-storm'))?.resets).toHaveLength(1);
    expect(reports.every((r) => r.ok)).toBe(true);
    expect(reports.at(-1)?.state).toBe('SOAKING');
    // Every distinct event recorded once in the store; a re-delivery (same message id) adds nothing.
    expect(recorded).toBe(new Set(storm.map((e) => e.id)).size);
    recordRow({
      fault: '(j) ElastiCache event storm: 100 events in 1 min, duplicates, out of order',
      detectedAfterTicks: 1,
      stateAfter: `SOAKING, 1 reset (1 incident), ${recorded} events recorded, ${accepted.accepted} accepted / ${accepted.rejected} rejected at ingest`,
      lost: 'nothing',
      tookMs: Date.now() - started,
      file: 'test/faults/legacy-events.test.ts',
    });
  });
});
