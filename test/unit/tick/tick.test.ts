import { describe, expect, it } from 'vitest';
import type { SoakEvent, SoakState } from '../../../src/soak/index.js';
import { StoreError } from '../../../src/store/index.js';
import { runTick, TickError, UnknownTenantError } from '../../../src/tick/index.js';
import { memoryStore } from '../../support/memoryStore.js';
import {
  compressedPolicy,
  fakeSample,
  recordingLog,
  SECOND,
  T0,
  tenantInput,
  unitConfig,
  unitTickDeps,
} from '../../support/unitTick.js';

// The tick's orchestration (sample → store → judge → alert → hooks) over the in-memory state store and
// a sampler that returns the samples each test describes. The same code runs on real Redis in
// test/integration/scenarios; here each branch is taken on purpose.

const config = unitConfig([tenantInput('acme'), tenantInput('beta')]);
const tick = async (deps: Parameters<typeof runTick>[0], now: number, tenantId = 'acme') => {
  const report = await runTick(deps, { now, tenantId });
  const [t] = report.tenants;
  if (!t) throw new Error('no tenant in the report');
  return t;
};

describe('runTick', () => {
  it('stores the sample and what the judge read of it, judges it, and emits it once judged', async () => {
    const store = memoryStore({ now: T0 });
    const { deps, recorded } = unitTickDeps(config, store);

    const report = await tick(deps, T0);

    expect(report).toMatchObject({ tenant: 'acme', ok: true, judged: true, state: 'REPLICATING' });
    expect(report.sample).toEqual({ at: T0, durationMs: 5, complete: true, failedNodes: [] });
    expect(await store.latestSample<{ at: number }>('acme')).toMatchObject({ at: T0 });
    expect(await store.history('acme', 0, T0)).toEqual([
      expect.objectContaining({ at: T0, since: null, complete: true }),
    ]);
    expect((await store.getState<SoakState>('acme'))?.version).toBe(1);
    expect(recorded.emitted).toEqual([T0]);
    expect(recorded.collected).toEqual([{ tenant: 'acme', now: T0, phase: 'replication' }]);
  });

  it('announces readiness once and hands the transition to the hooks as CUTOVER_READY', async () => {
    const store = memoryStore({ now: T0 + 10 * SECOND });
    const { deps, recorded } = unitTickDeps(config, store);

    const reports = [];
    for (let i = 0; i <= 4; i++) reports.push(await tick(deps, T0 + i * SECOND));

    expect(reports.map((r) => r.state)).toEqual([
      'REPLICATING',
      'REPLICATING',
      'REPLICATING',
      'CUTOVER_READY',
      'CUTOVER_READY',
    ]);
    const milestones = recorded.published.filter((m) => m.attributes.kind === 'ready-for-cutover');
    expect(milestones).toHaveLength(1);
    expect(milestones[0]?.topicArn).toBe('arn:aws:sns:us-east-1:000000000000:release');
    const fired = recorded.hooks.flatMap((h) => h.triggers.map((t) => t.trigger));
    expect(fired).toEqual(['CUTOVER_READY']);
    expect(await store.auditTrail('acme')).toEqual([
      expect.objectContaining({
        action: expect.stringMatching(/ready/),
        from: 'REPLICATING',
        to: 'CUTOVER_READY',
      }),
    ]);
  });

  it('names the unread nodes in the report and judges the partial sample', async () => {
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(config, store, {
      sample: (tenant, now) => fakeSample(tenant, now, { unread: ['10.0.0.1:6379'] }),
    });

    const report = await tick(deps, T0);

    expect(report).toMatchObject({ ok: true, judged: true });
    expect(report.sample).toMatchObject({ complete: false, failedNodes: ['10.0.0.1:6379'] });
  });

  it('skips a tenant another tick holds, without sampling it', async () => {
    const store = memoryStore({ now: T0 });
    const { deps, recorded } = unitTickDeps(config, store);
    await store.acquireLock('acme', 'tick', 60_000);

    const report = await tick(deps, T0);

    expect(report).toMatchObject({ ok: true, skipped: 'locked', transitions: [], messages: 0 });
    expect(recorded.collected).toEqual([]);
  });

  it('drops a re-delivered tick as a duplicate: judged and emitted once', async () => {
    const store = memoryStore({ now: T0 });
    const { deps, recorded } = unitTickDeps(config, store);

    await tick(deps, T0);
    const again = await tick(deps, T0);

    expect(again).toMatchObject({ ok: true, skipped: 'duplicate', state: 'REPLICATING' });
    expect(again.judged).toBeUndefined();
    expect(recorded.emitted).toEqual([T0]);
    expect((await store.getState<SoakState>('acme'))?.version).toBe(1);
  });

  it('lets a verdict written in between stand: nothing of this tick is written or announced', async () => {
    const store = memoryStore({ now: T0 });
    const { deps, recorded } = unitTickDeps(config, store, {
      sample: (tenant, now) => {
        // Another tick judges the tenant while this one samples.
        void store.casState(tenant, 0, { intruder: true });
        return fakeSample(tenant, now);
      },
    });

    const report = await tick(deps, T0);

    expect(report).toMatchObject({ ok: true, skipped: 'concurrent', messages: 0 });
    expect(await store.getState('acme')).toEqual({ version: 1, state: { intruder: true } });
    expect(recorded.published).toEqual([]);
    expect(recorded.emitted).toEqual([]);
    expect(recorded.hooks).toEqual([]);
  });

  it("refuses a tick whose now is ahead of the state store's clock: an error, an alert, nothing stored", async () => {
    const store = memoryStore({ now: T0 - 10 * 60 * SECOND });
    const { deps, recorded } = unitTickDeps(config, store);

    const report = await tick(deps, T0);

    expect(report).toMatchObject({ ok: false, futureSample: { kind: 'tick', at: T0 } });
    expect(report.error).toMatch(
      /^sample refused: this tick's time .* is 10m ahead of the state store's clock/,
    );
    expect(recorded.collected).toEqual([]);
    expect(await store.latestSample('acme')).toBeUndefined();
    expect(recorded.published.map((m) => [m.topic, m.attributes.severity])).toEqual([['alert', 'critical']]);
  });

  it('ticks every tenant, and reports a failing one while the others are judged', async () => {
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(config, store, {
      sample: (tenant, now) => {
        if (tenant === 'beta') throw new Error('could not prepare connections to redis://:pw@10.0.0.9:6379');
        return fakeSample(tenant, now);
      },
    });

    const report = await runTick(deps, { now: T0 });

    expect(report.tenants.map((t) => [t.tenant, t.ok])).toEqual([
      ['acme', true],
      ['beta', false],
    ]);
    // The error names what failed, without the password of the URL it quotes.
    expect(report.tenants[1]?.error).toBe('could not prepare connections to redis://***@10.0.0.9:6379');
  });

  it('fails the whole tick loudly when the state store fails, after every tenant had its turn', async () => {
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(config, store);
    store.fail('appendSample');

    const failed = await runTick(deps, { now: T0 }).catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(TickError);
    expect((failed as TickError).cause).toBeInstanceOf(StoreError);
    expect((failed as TickError).report.tenants.map((t) => t.ok)).toEqual([false, false]);
  });

  it('refuses an unknown tenant', async () => {
    const { deps } = unitTickDeps(config, memoryStore({ now: T0 }));

    await expect(runTick(deps, { now: T0, tenantId: 'nobody' })).rejects.toThrow(UnknownTenantError);
  });
});

describe('runTick with cloudwatch: criteria', () => {
  // The configuration requires a replication group for them (the CloudWatch dimension).
  const watched = (replicationGroupId: string) =>
    unitConfig([
      tenantInput('acme', {
        target: { url: 'redis://127.0.0.1:2', replicationGroupId },
        soak: {
          ...compressedPolicy,
          replication: {
            readyAfter: '3s',
            criteria: [
              {
                id: 'engine-cpu',
                metric: 'cloudwatch:EngineCPUUtilization',
                aggregate: 'max',
                window: '3s',
                threshold: 90,
                cloudwatch: { stat: 'Average', periodSeconds: 300 },
              },
            ],
          },
        },
      }),
    ]);

  it('reads them over three of the longest period, into the judged sample', async () => {
    const windows: [number, number][] = [];
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(watched('acme-rg'), store, {
      cloudwatch: (_tenant, _criteria, from, to) => {
        windows.push([from, to]);
        return Promise.resolve({ 'cloudwatch:EngineCPUUtilization': 12 });
      },
    });

    await tick(deps, T0);

    expect(windows).toEqual([[T0 - 3 * 300 * SECOND, T0]]);
    const [judged] = await store.history<{ derived: Record<string, unknown> }>('acme', 0, T0);
    expect(judged?.derived['cloudwatch:EngineCPUUtilization']).toBe(12);
  });

  it('keeps a CloudWatch failure to a warning: the tick goes on with the metrics no data', async () => {
    const log = recordingLog();
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(watched('acme-rg'), store, {
      log,
      cloudwatch: () => Promise.reject(new Error('AccessDenied')),
    });

    const report = await tick(deps, T0);

    expect(report).toMatchObject({ ok: true, judged: true });
    expect(log.lines).toContainEqual({ level: 'warn', message: 'could not read CloudWatch metrics' });
    const [judged] = await store.history<{ derived: Record<string, unknown> }>('acme', 0, T0);
    expect(judged?.derived['cloudwatch:EngineCPUUtilization']).toBeNull();
    // No data with its cause, never a bare "no data".
    const sample = await store.latestSample<{ notes: Record<string, string> }>('acme');
    expect(sample?.notes['cloudwatch:EngineCPUUtilization']).toBe(
      'CloudWatch could not be read: AccessDenied',
    );
  });
});

describe('runTick with DescribeEvents', () => {
  const grouped = unitConfig([
    tenantInput('acme', { target: { url: 'redis://127.0.0.1:2', replicationGroupId: 'acme-rg' } }),
  ]);
  const failover: SoakEvent = {
    at: T0 - 30 * SECOND,
    type: 'ElastiCache:FailoverComplete',
    source: 'elasticache',
    id: 'describe:replication-group:acme-rg:1',
    sourceId: 'acme-rg',
  };

  it('records the events read since the last look and moves the watermark to this tick', async () => {
    const since: number[] = [];
    const store = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(grouped, store, {
      elasticacheEvents: (_tenant, from) => {
        since.push(from);
        return Promise.resolve([failover]);
      },
    });

    await tick(deps, T0);
    await tick(deps, T0 + SECOND);

    expect(since).toEqual([T0 - 15 * 60 * SECOND, T0]);
    expect(await store.events('acme', 0, T0)).toEqual([failover]);
    expect(await store.getDoc('acme', 'describe-events')).toEqual({ until: T0 + SECOND });
  });

  it('leaves the watermark alone in a process that reads no events (no AWS)', async () => {
    const store = memoryStore({ now: T0 });
    await store.setDoc('acme', 'describe-events', { until: T0 - 60 * SECOND });
    const { deps } = unitTickDeps(grouped, store);

    await tick(deps, T0);

    expect(await store.getDoc('acme', 'describe-events')).toEqual({ until: T0 - 60 * SECOND });
  });
});
