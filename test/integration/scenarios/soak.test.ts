import type { SNSEvent } from 'aws-lambda';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvents } from '../../../src/runtime/index.js';
import type { TenantTickReport } from '../../../src/tick/index.js';
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

// After cutover: the target serves production and the legacy cluster must be left alone. One legacy,
// one target cluster and one state store for the file; each scenario is its own tenant.

const legacy = useStandalone();
const target = useCluster({ masters: 2, replicasPerMaster: 1 });
const store = useStandalone();

const TENANTS = ['healthy', 'forgotten', 'failover', 'blind', 'gap', 'relapse', 'alarmed'] as const;
let h: Harness;

beforeAll(async () => {
  const tenant = (id: string): TenantInput => ({
    id,
    legacy: { url: legacy().node.url },
    target: { url: target().url, cluster: true, replicationGroupId: `${id}-rg` },
    soak: compressedPolicy(),
    hooks: [
      {
        id: 'scale-down-legacy',
        on: ['SCALE_DOWN_APPROVED'],
        action: { type: 'lambda', functionName: 'legacy-redis-scale-down' },
        dryRun: true,
      },
    ],
  });
  h = await openHarness(
    scenarioConfig(store().node.url, [
      ...TENANTS.map(tenant),
      { ...tenant('autopilot'), soak: compressedPolicy({ autoApprove: true }) },
    ]),
  );
});

afterAll(async () => {
  await h?.close();
});

describe('the soak after cutover', () => {
  it('passes a healthy soak, and an approval fires the dry-run scale-down hook exactly once', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'healthy', t0);

    const reports = await tickSeconds(h, 'healthy', t0 + SECOND, 8);

    const states = reports.map((r) => r.state);
    expect(reports.every((r) => r.ok && r.sample?.complete)).toBe(true);
    expect(states).toContain('PASSED');
    expect(states.indexOf('PASSED')).toBeGreaterThanOrEqual(4); // not before the 5 s duration
    expect(reports.flatMap((r) => r.verdict?.resets ?? [])).toEqual([]);
    expect(messagesOf(h, 'healthy', 'passed')).toHaveLength(1);
    expect(messagesOf(h, 'healthy', 'alert')).toEqual([]);

    const approvedAt = t0 + 10 * SECOND;
    const approved = await h.act(
      'healthy',
      { action: 'approve', actor: 'release-manager@test', reason: 'soak clean' },
      approvedAt,
    );
    // A later tick in SCALE_DOWN_APPROVED must not fire the hook again.
    const after = await h.tick('healthy', approvedAt + SECOND);
    const done = await h.act(
      'healthy',
      { action: 'scaled-down', actor: 'platform@test' },
      approvedAt + 2 * SECOND,
    );

    expect(approved.state).toBe('SCALE_DOWN_APPROVED');
    expect(approved.hooks).toEqual([expect.objectContaining({ id: 'scale-down-legacy', status: 'dry-run' })]);
    expect(after.state).toBe('SCALE_DOWN_APPROVED');
    expect(after.hooks.filter((x) => x.status === 'dry-run')).toEqual([]);
    expect(done.state).toBe('SCALED_DOWN');
    const audit = await h.audit('healthy');
    expect(audit.filter((e) => e.action === 'hook.dry-run')).toEqual([
      expect.objectContaining({
        actor: expect.any(String),
        reason: expect.stringContaining('SCALE_DOWN_APPROVED'),
      }),
    ]);
    expect(audit.filter((e) => e.to !== undefined).map((e) => `${e.from}→${e.to}`)).toEqual([
      'REPLICATING→SOAKING',
      'SOAKING→PASSED',
      'PASSED→SCALE_DOWN_APPROVED',
      'SCALE_DOWN_APPROVED→SCALED_DOWN',
    ]);
    expect(messagesOf(h, 'healthy', 'approved')).toHaveLength(1);
    expect(messagesOf(h, 'healthy', 'scaled-down')).toHaveLength(1);
  });
});

describe('after the pass', () => {
  it('fires the scale-down hook once when the policy auto-approves, however many ticks follow', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'autopilot', t0);

    const reports = await tickSeconds(h, 'autopilot', t0 + SECOND, 10);

    const passed = reports.find((r) => r.state === 'SCALE_DOWN_APPROVED');
    expect(passed?.transitions.map((t) => `${t.kind}:${t.to}`)).toEqual([
      'passed:PASSED',
      'approved:SCALE_DOWN_APPROVED',
    ]);
    expect(reports.flatMap((r) => r.hooks)).toEqual([
      expect.objectContaining({ id: 'scale-down-legacy', status: 'dry-run' }),
    ]);
    expect((await h.audit('autopilot')).filter((e) => e.action === 'hook.dry-run')).toHaveLength(1);
  });

  it('withdraws an approval when legacy is written to before the scale-down', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'relapse', t0);
    const soak = await tickSeconds(h, 'relapse', t0 + SECOND, 8);
    expect(soak.at(-1)?.state).toBe('PASSED');
    await h.act('relapse', { action: 'approve', actor: 'release-manager@test' }, t0 + 8_500);
    const cron = new Redis({ port: legacy().node.port, connectionName: 'cron' });

    let reports: TenantTickReport[];
    try {
      reports = await tickSeconds(h, 'relapse', t0 + 9 * SECOND, 2, async () => {
        await cron.set('cron:last-run', String(Date.now()));
      });
    } finally {
      await cron.quit();
    }

    // The first sample that sees the write revokes the approval.
    expect(reports[0]?.transitions).toEqual([
      expect.objectContaining({
        kind: 'pass-revoked',
        from: 'SCALE_DOWN_APPROVED',
        to: 'SOAKING',
        reason: expect.stringContaining('legacy-writes'),
      }),
    ]);
    await expect(
      h.act('relapse', { action: 'scaled-down', actor: 'platform@test' }, t0 + 11 * SECOND),
    ).rejects.toThrow(/scaled-down refused/);
    expect((await h.audit('relapse')).filter((e) => e.action === 'hook.dry-run')).toHaveLength(1);
  });
});

describe('what blocks or resets the soak', () => {
  it('blocks the pass while a forgotten service still writes to legacy, and passes once it stops', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'forgotten', t0);
    const billing = new Redis({ port: legacy().node.port, connectionName: 'billing' });
    let writing = true;

    const reports = await tickSeconds(h, 'forgotten', t0 + SECOND, 18, async (i) => {
      if (i === 8) {
        writing = false; // billing is reconfigured to the target: its legacy connection closes
        await billing.quit();
      }
      if (writing) await billing.set('billing:last-run', String(i));
    });

    const states = reports.map((r) => r.state);
    expect(states.slice(0, 11)).not.toContain('PASSED'); // 8 s of soak time, but legacy was written to
    const firstFire = reports.findIndex((r) => r.verdict?.firing.some((f) => f.id === 'legacy-writes'));
    expect(firstFire).toBeGreaterThanOrEqual(0);
    const resets = reports.at(-1)?.verdict?.resets ?? [];
    expect(resets).toContainEqual(
      expect.objectContaining({
        phase: 'soak',
        criterion: 'legacy-writes',
        reason: expect.stringMatching(/^legacy-writes: sum\(legacyWriteOps\) over 3s = \d+ > 0$/),
      }),
    );
    const alerts = messagesOf(h, 'forgotten', 'alert');
    expect(alerts.every((m) => m.topic === 'alert')).toBe(true);
    expect(alerts.some((m) => m.body.includes('[CRITICAL] legacy-writes: legacyWriteOps'))).toBe(true);
    expect(messagesOf(h, 'forgotten', 'soak-reset').length).toBeGreaterThanOrEqual(1);
    const audit = await h.audit('forgotten');
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'reset',
        from: 'SOAKING',
        to: 'SOAKING',
        reason: expect.stringContaining('legacy-writes'),
      }),
    );
    // Once billing stopped, the breach clears and the soak completes from the clear, not from the cutover.
    const passedAt = states.indexOf('PASSED');
    expect(passedAt).toBeGreaterThan(8 + 3);
    expect(messagesOf(h, 'forgotten', 'resolved').length).toBeGreaterThanOrEqual(1);
  });

  it('resets the soak clock on an ElastiCache failover notification, and only records other events', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'failover', t0);
    const rt = h.eventsRuntime();
    const notify = (at: number, id: string, body: Record<string, string>) =>
      ingestEvents(rt, {
        kind: 'elasticache',
        event: {
          Records: [
            { Sns: { MessageId: id, Timestamp: new Date(at).toISOString(), Message: JSON.stringify(body) } },
          ],
        } as unknown as SNSEvent,
      });

    await tickSeconds(h, 'failover', t0 + SECOND, 3);
    const snapshot = await notify(t0 + 3_200, 'm-1', {
      'ElastiCache:SnapshotComplete': 'failover-rg-0001-001',
    });
    const failover = await notify(t0 + 3_500, 'm-2', {
      'ElastiCache:FailoverComplete': 'failover-rg-0002-001',
    });
    const reports = await tickSeconds(h, 'failover', t0 + 4 * SECOND, 8);

    expect(snapshot).toEqual({ accepted: 1, rejected: 0 });
    expect(failover).toEqual({ accepted: 1, rejected: 0 });
    const first = reports[0];
    expect(first?.verdict?.resets).toEqual([
      expect.objectContaining({
        at: t0 + 3_500,
        phase: 'soak',
        event: 'ElastiCache:FailoverComplete',
        reason: 'event ElastiCache:FailoverComplete (failover-rg-0002-001)',
      }),
    ]);
    expect(first?.transitions.map((t) => t.kind)).toEqual(['reset']);
    // Without the failover it would have passed at t0 + 5 s; now 5 s of soak are counted from t0 + 3.5 s.
    const passed = reports.find((r) => r.state === 'PASSED');
    expect(passed?.verdict?.lastSampleAt).toBeGreaterThanOrEqual(t0 + 8_500);
    expect((await h.state('failover'))?.events.map((e) => e.type)).toEqual([
      'ElastiCache:SnapshotComplete',
      'ElastiCache:FailoverComplete',
    ]);
  });

  it('holds the soak while a mapped CloudWatch alarm is in ALARM, and restarts it on OK', async () => {
    const t0 = Date.now();
    await forceCutover(h, 'alarmed', t0);
    const rt = h.eventsRuntime();
    const alarm = (at: number, value: 'ALARM' | 'OK') =>
      ingestEvents(rt, {
        kind: 'alarm',
        event: {
          id: `alarm-${value}`,
          'detail-type': 'CloudWatch Alarm State Change',
          time: new Date(at).toISOString(),
          detail: {
            alarmName: 'soakwatch-alarmed-engine-cpu',
            state: { value, reason: 'Threshold Crossed' },
          },
        } as unknown as Parameters<typeof ingestEvents>[1] extends { kind: 'alarm'; event: infer E }
          ? E
          : never,
      });

    await tickSeconds(h, 'alarmed', t0 + SECOND, 2);
    await alarm(t0 + 2_500, 'ALARM');
    const during = await tickSeconds(h, 'alarmed', t0 + 3 * SECOND, 8);
    await alarm(t0 + 10_500, 'OK');
    const after = await tickSeconds(h, 'alarmed', t0 + 11 * SECOND, 7);

    expect(during[0]?.transitions.map((t) => t.kind)).toEqual(['reset']);
    expect(during.every((r) => r.state === 'SOAKING' && r.verdict?.elapsedMs === 0)).toBe(true);
    expect(during[0]?.verdict?.firing.map((f) => f.id)).toEqual(['alarm:soakwatch-alarmed-engine-cpu']);
    expect(messagesOf(h, 'alarmed', 'alert')[0]?.body).toContain('soakwatch-alarmed-engine-cpu');
    const passedAt = after.findIndex((r) => r.state === 'PASSED');
    expect(passedAt).toBeGreaterThanOrEqual(4); // 5 s of soak after the OK
    expect(messagesOf(h, 'alarmed', 'resolved')).toHaveLength(1);
  });
});

describe('a sampler that cannot see', () => {
  it('is inconclusive while a legacy node is frozen, and the blind stretch is no soak time', async () => {
    // Judge time runs up to 50 s ahead of the wall clock here: it starts in the past, so no tick's now
    // is ahead of the state store's clock (that would be a sample from the future, refused).
    const t0 = Date.now() - 2 * 60 * SECOND;
    await forceCutover(h, 'blind', t0);
    const before = await tickSeconds(h, 'blind', t0 + SECOND, 3);

    legacy().node.freeze();
    let blind: TenantTickReport[];
    try {
      blind = await tickSeconds(h, 'blind', t0 + 4 * SECOND, 5);
    } finally {
      legacy().node.thaw();
    }
    const after = await tickSeconds(h, 'blind', t0 + 9 * SECOND, 40);

    expect(before.every((r) => r.sample?.complete)).toBe(true);
    const watched = before.at(-1)?.verdict?.elapsedMs;
    for (const [i, r] of blind.entries()) {
      expect(r.ok).toBe(true);
      expect(r.sample?.complete).toBe(false);
      expect(r.sample?.failedNodes).toEqual([`127.0.0.1:${legacy().node.port}`]);
      expect(r.state).toBe('SOAKING');
      expect(r.verdict?.inconclusive).toBe(true);
      // One missing sample does not blank a window (issue 7): the first blind tick's window still holds
      // enough earlier values; from the second on there are too few.
      const writes = r.verdict?.criteria.find((c) => c.id === 'legacy-writes');
      if (i === 0) expect(writes?.status).not.toBe('breach');
      else expect(writes?.status).toBe('nodata');
      expect(r.verdict?.elapsedMs).toBe(watched); // the clock stands still while legacy is unseen
    }
    // Passing needs 5 s of watched soak and 80 % of the time since the cutover watched.
    const passedAt = after.findIndex((r) => r.state === 'PASSED');
    expect(passedAt).toBeGreaterThan(0);
    for (const r of after.slice(0, passedAt)) expect(r.verdict?.coverage ?? 0).toBeLessThan(0.8);
    const passed = after[passedAt]?.verdict;
    expect(passed?.coverage).toBeGreaterThanOrEqual(0.8);
    expect(passed?.elapsedMs).toBeLessThanOrEqual((passed?.lastSampleAt ?? 0) - t0 - 5 * SECOND);
  });

  it('does not count a stretch without samples, and is inconclusive until coverage recovers', async () => {
    // Judge time runs up to 50 s ahead of the wall clock here: it starts in the past, so no tick's now
    // is ahead of the state store's clock (that would be a sample from the future, refused).
    const t0 = Date.now() - 2 * 60 * SECOND;
    await forceCutover(h, 'gap', t0);
    await tickSeconds(h, 'gap', t0 + SECOND, 3);

    // The scheduler missed 7 ticks; the next tick comes at t0 + 11 s, past the 5 s duration.
    const resumed = await tickSeconds(h, 'gap', t0 + 11 * SECOND, 30);

    const first = resumed[0];
    expect(first?.state).toBe('SOAKING');
    expect(first?.verdict?.inconclusive).toBe(true);
    expect(first?.verdict?.coverage).toBeLessThan(0.8);
    expect(first?.verdict?.elapsedMs).toBeLessThanOrEqual(4 * SECOND);
    // 5 s of soak are credited soon after, but not 80 % of the time since the cutover: no pass on that.
    const passedAt = resumed.findIndex((r) => r.state === 'PASSED');
    const credited = resumed.findIndex((r) => (r.verdict?.elapsedMs ?? 0) >= 5 * SECOND);
    expect(credited).toBeGreaterThanOrEqual(0);
    expect(passedAt).toBeGreaterThan(credited);
    for (const r of resumed.slice(credited, passedAt)) {
      expect(r.verdict?.inconclusive).toBe(true);
      expect(r.verdict?.coverage).toBeLessThan(0.8);
    }
    expect(resumed[passedAt]?.verdict?.coverage).toBeGreaterThanOrEqual(0.8);
  });
});
