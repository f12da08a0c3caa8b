import { performance } from 'node:perf_hooks';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaTaskSender, runRound, runTenantTask } from '../../../src/runtime/fanout.js';
import { roundTasks, type TenantTask } from '../../../src/tick/fanout.js';
import { memoryStore } from '../../support/memoryStore.js';
import { T0, tenantInput, unitConfig, unitTickDeps } from '../../support/unitTick.js';

// The scheduled tick as a dispatcher: the round's tasks, the Lambda adapter (the SDK's client stubbed by
// aws-sdk-client-mock), and the per-tenant task (stale, timed out, ticked) over the in-memory store.

function countingMetrics() {
  const counts = new Map<string, number>();
  return {
    counts,
    addMetric(name: string, _unit: 'Count', value: number) {
      counts.set(name, (counts.get(name) ?? 0) + value);
    },
  };
}

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

describe('the dispatcher', () => {
  it('dispatches a round of 1,000 tenants as asynchronous invokes, each carrying the round time, well under a second', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const tenants = Array.from({ length: 1_000 }, (_, i) => tenantInput(`t${i}`));
    const config = unitConfig(tenants);
    const send = lambdaTaskSender('soakwatch-dev-tickTenant', {
      maxSockets: config.fleet.dispatchConcurrency,
    });
    const metrics = countingMetrics();
    // First round: the SDK's import and client construction; the second is the warm container's.
    const rounds: number[] = [];
    for (const now of [T0, T0 + 60_000]) {
      const t0 = performance.now();
      const report = await runRound(
        config,
        { now },
        {
          send,
          local: () => Promise.reject(new Error('a fanned-out round must not open the tick runtime')),
          metrics,
          clock: Date.now,
          remainingMs: () => 55_000,
        },
      );
      rounds.push(performance.now() - t0);
      expect(report).toMatchObject({ mode: 'fanout', tenants: 1_000, dispatched: 1_000, failed: [] });
    }
    send.destroy();
    console.log(
      `dispatch of 1,000 tenants (invoke stubbed): cold ${rounds[0]?.toFixed(1)} ms, warm ${rounds[1]?.toFixed(1)} ms`,
    );
    expect(Math.max(...rounds)).toBeLessThan(1_000);
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(2_000);
    const first = calls[0]?.args[0].input;
    expect(first?.InvocationType).toBe('Event');
    expect(first?.FunctionName).toBe('soakwatch-dev-tickTenant');
    const payloads = calls.map(
      (c) => JSON.parse(new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)) as TenantTask,
    );
    expect(new Set(payloads.filter((p) => p.now === T0).map((p) => p.tenantId)).size).toBe(1_000);
    expect(payloads[0]).toEqual({ tenantId: 't0', now: T0, roundEndsAt: T0 + 60_000 });
    expect(metrics.counts.get('TenantTicksDispatched')).toBe(2_000);
  });

  it('names the tenants whose invoke was refused, and fails the invocation when none could be sent', async () => {
    const config = unitConfig(Array.from({ length: 20 }, (_, i) => tenantInput(`t${i}`)));
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 202 })
      .on(InvokeCommand, {
        Payload: new TextEncoder().encode(JSON.stringify(roundTasks(['t3'], T0, 60_000)[0])),
      })
      .rejects(new Error('TooManyRequestsException: Rate Exceeded.'));
    const send = lambdaTaskSender('fn', { maxSockets: config.fleet.dispatchConcurrency });
    const how = {
      send,
      local: () => Promise.reject(new Error('not in-process')),
      metrics: countingMetrics(),
      clock: Date.now,
      remainingMs: () => 55_000,
    };
    const report = await runRound(config, { now: T0 }, how);
    expect(report).toMatchObject({ dispatched: 19, failed: [{ tenant: 't3' }] });
    lambda.reset();
    lambda.on(InvokeCommand).rejects(new Error('ResourceNotFoundException: Function not found'));
    await expect(runRound(config, { now: T0 }, how)).rejects.toThrow(/no tenant tick could be dispatched/);
    send.destroy();
  });

  it('reads the connection census after the dispatch; a census it cannot read never fails the round', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const config = unitConfig(Array.from({ length: 20 }, (_, i) => tenantInput(`t${i}`)));
    const store = memoryStore({ now: T0 });
    await store.reportConnections({ process: 'c1', at: T0, byNode: { 'n:1': 700, 'n:2': 3 } }, 900_000);
    await store.reportConnections({ process: 'c2', at: T0, byNode: { 'n:1': 400 } }, 900_000);
    const send = lambdaTaskSender('fn', { maxSockets: config.fleet.dispatchConcurrency });
    const metrics = countingMetrics();
    const warned: string[] = [];
    const how = {
      send,
      local: () => Promise.reject(new Error('not in-process')),
      census: async () => store,
      log: { warn: (message: string) => warned.push(message) },
      metrics,
      clock: () => T0 + 1_000,
      remainingMs: () => 55_000,
    };
    const report = await runRound(config, { now: T0 }, how);
    expect(report).toMatchObject({
      dispatched: 20,
      connections: { processes: 2, maxPerNode: 1_100, overBound: [{ node: 'n:1', connections: 1_100 }] },
    });
    expect(metrics.counts.get('RedisNodesOverConnectionBound')).toBe(1);
    expect(warned).toEqual(['connection census: nodes above fleet.maxConnectionsPerNode']);

    store.fail('connectionReports');
    const blind = await runRound(config, { now: T0 + 60_000 }, how);
    expect(blind).toMatchObject({ dispatched: 20 });
    expect(blind.connections).toBeUndefined();
    expect(warned.at(-1)).toBe('connection census: not read');
    const unopened = await runRound(
      config,
      { now: T0 + 120_000 },
      {
        ...how,
        census: () => Promise.reject(new Error('the state store is unreachable')),
      },
    );
    expect(unopened).toMatchObject({ dispatched: 20 });
    expect(unopened.connections).toBeUndefined();
    send.destroy();
  });

  it('below fleet.fanOutFrom runs every tenant here through the same per-tenant task, at the round time', async () => {
    const config = unitConfig([tenantInput('acme'), tenantInput('beta'), tenantInput('gamma')]);
    const store = memoryStore({ now: T0 });
    const { deps, recorded } = unitTickDeps(config, store);
    const metrics = countingMetrics();
    const report = await runRound(
      config,
      { now: T0 },
      {
        send: () => Promise.reject(new Error('a small fleet is not fanned out')),
        local: async () => ({ deps, metrics }),
        metrics,
        clock: () => T0 + 2_000,
        remainingMs: () => 55_000,
      },
    );
    expect(report.mode).toBe('in-process');
    if (report.mode !== 'in-process') return;
    expect(report.tenants.map((t) => [t.tenant, t.judged])).toEqual([
      ['acme', true],
      ['beta', true],
      ['gamma', true],
    ]);
    expect(recorded.collected.map((c) => c.now)).toEqual([T0, T0, T0]);
    expect(metrics.counts.get('SamplesJudged')).toBe(3);
  });
});

describe('the per-tenant task', () => {
  const config = unitConfig([tenantInput('acme')]);
  const [task] = roundTasks(['acme'], T0, 60_000) as [TenantTask];

  it('judges the sample at the round time, not at its (late) start', async () => {
    const store = memoryStore({ now: T0 + 20_000 });
    const { deps, recorded } = unitTickDeps(config, store);
    const report = await runTenantTask({ deps, metrics: countingMetrics() }, task, {
      clock: () => T0 + 20_000,
      remainingMs: 30_000,
    });
    expect(report).toMatchObject({ outcome: 'ticked', startDelayMs: 20_000, tenantReport: { judged: true } });
    expect(recorded.collected).toEqual([expect.objectContaining({ now: T0 })]);
  });

  it('drops and counts a task that starts after its round is over, judging nothing', async () => {
    const store = memoryStore({ now: T0 + 61_000 });
    const { deps, recorded } = unitTickDeps(config, store);
    const metrics = countingMetrics();
    const report = await runTenantTask({ deps, metrics }, task, {
      clock: () => T0 + 61_000,
      remainingMs: 30_000,
    });
    expect(report.outcome).toBe('stale');
    expect(metrics.counts.get('StaleTicksDropped')).toBe(1);
    expect(metrics.counts.get('SamplesJudged')).toBeUndefined();
    expect(recorded.collected).toEqual([]);
    expect(await store.latestSample('acme')).toBeUndefined();
  });

  it('gives up before its function times out, counted, and a duplicate delivery judges nothing twice', async () => {
    const store = memoryStore({ now: T0 });
    const slow = unitTickDeps(config, store, {
      collect: () => new Promise(() => undefined),
    });
    const metrics = countingMetrics();
    const timedOut = await runTenantTask({ deps: slow.deps, metrics }, task, {
      clock: () => T0 + 1_000,
      remainingMs: 3_050,
    });
    expect(timedOut.outcome).toBe('timeout');
    expect(metrics.counts.get('TenantTickTimeouts')).toBe(1);

    const store2 = memoryStore({ now: T0 });
    const { deps } = unitTickDeps(config, store2);
    const clock = () => T0 + 1_000;
    const once = await runTenantTask({ deps, metrics }, task, { clock, remainingMs: 30_000 });
    const again = await runTenantTask({ deps, metrics }, task, { clock, remainingMs: 30_000 });
    expect(once.tenantReport).toMatchObject({ judged: true });
    expect(again.tenantReport).toMatchObject({ ok: true, skipped: 'duplicate' });
    expect(again.tenantReport?.judged).not.toBe(true);
    expect(await store2.history('acme', 0, T0 + 60_000)).toHaveLength(1);
  });
});
