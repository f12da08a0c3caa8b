import { describe, expect, it } from 'vitest';
import {
  dispatchTasks,
  isStale,
  parseTenantTask,
  roundTasks,
  type TenantTask,
  taskTimeoutMs,
} from '../../../src/tick/fanout.js';
import { withRoundReads } from '../../../src/tick/roundReads.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');

describe('the round of the fan-out', () => {
  it('gives every tenant the round time as now and the end of the round', () => {
    expect(roundTasks(['a', 'b'], T0, 60_000)).toEqual([
      { tenantId: 'a', now: T0, roundEndsAt: T0 + 60_000 },
      { tenantId: 'b', now: T0, roundEndsAt: T0 + 60_000 },
    ]);
  });

  it('calls a task stale from the end of its round on, not before', () => {
    const [task] = roundTasks(['a'], T0, 60_000) as [TenantTask];
    expect(isStale(task, T0 + 59_999)).toBe(false);
    expect(isStale(task, T0 + 60_000)).toBe(true);
  });

  it('gives a task until its round ends or its function times out less the margin, whichever is first', () => {
    const [task] = roundTasks(['a'], T0, 60_000) as [TenantTask];
    expect(taskTimeoutMs(task, T0 + 1_000, 30_000, 3_000)).toBe(27_000);
    expect(taskTimeoutMs(task, T0 + 50_000, 30_000, 3_000)).toBe(10_000);
    expect(taskTimeoutMs(task, T0 + 1_000, 2_000, 3_000)).toBe(0);
  });

  it('refuses a bad task naming the field', () => {
    expect(() => parseTenantTask({ tenantId: 'a', now: 'soon', roundEndsAt: T0 })).toThrow(
      /tenant task: now:/,
    );
    expect(() => parseTenantTask({ now: T0, roundEndsAt: T0 + 1 })).toThrow(/tenant task: tenantId:/);
    expect(() => parseTenantTask({ tenantId: 'a', now: T0, roundEndsAt: T0 })).toThrow(/roundEndsAt/);
    expect(() => parseTenantTask({ tenantId: 'a', now: T0, roundEndsAt: T0 + 1, extra: 1 })).toThrow(
      /tenant task/,
    );
    expect(parseTenantTask({ tenantId: 'a', now: T0, roundEndsAt: T0 + 1 })).toEqual({
      tenantId: 'a',
      now: T0,
      roundEndsAt: T0 + 1,
    });
  });
});

describe("a task's round reads", () => {
  const base = { tenantId: 'a', now: T0, roundEndsAt: T0 + 60_000 };
  const event = {
    at: T0 - 1_000,
    type: 'ElastiCache:CacheNodesRebooted',
    source: 'elasticache' as const,
    id: 'describe:cache-cluster:a-0001-001:1',
    detail: 'a-0001-001: Cache node 0001 restarted',
    sourceId: 'a-0001-001',
  };

  it('takes the GetMetricData values and DescribeEvents the dispatcher read, no data as null', () => {
    const task = {
      ...base,
      cloudwatch: {
        readAt: T0,
        values: { 'cloudwatch:EngineCPUUtilization': 12.5, 'cloudwatch:ReplicationLag': null },
      },
      events: { since: T0 - 300_000, until: T0, items: [event] },
    };
    expect(parseTenantTask(task)).toEqual(task);
  });

  it('refuses a malformed cloudwatch field, naming it', () => {
    const bad = (cloudwatch: unknown) => () => parseTenantTask({ ...base, cloudwatch });
    expect(bad({ readAt: T0, values: { 'cloudwatch:EngineCPUUtilization': '12' } })).toThrow(
      /tenant task: cloudwatch\.values\.cloudwatch:EngineCPUUtilization:/,
    );
    expect(bad({ readAt: T0, values: { EngineCPUUtilization: 12 } })).toThrow(
      /tenant task: cloudwatch\.values/,
    );
    expect(bad({ values: {} })).toThrow(/tenant task: cloudwatch\.readAt:/);
    expect(bad({ readAt: T0, values: {}, stale: true })).toThrow(/tenant task: cloudwatch/);
    expect(bad([1, 2])).toThrow(/tenant task: cloudwatch:/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`cloudwatch:M${i}`, i]));
    expect(bad({ readAt: T0, values: many })).toThrow(/tenant task: cloudwatch\.values: at most 64 metrics/);
  });

  it('refuses malformed events, naming the field, and more than a task carries', () => {
    const bad = (events: unknown) => () => parseTenantTask({ ...base, events });
    expect(bad({ since: T0 - 1, until: T0, items: [{ ...event, source: 'cloudwatch' }] })).toThrow(
      /tenant task: events\.items\.0\.source:/,
    );
    expect(bad({ since: T0, until: T0 - 1, items: [] })).toThrow(
      /tenant task: events: since must be before until/,
    );
    expect(bad({ since: T0 - 1, until: T0, items: Array.from({ length: 51 }, () => event) })).toThrow(
      /tenant task: events\.items:/,
    );
  });

  it('leaves out of a task what would not parse, so the tenant reads it itself', () => {
    const [task] = roundTasks(['a'], T0, 60_000) as [TenantTask];
    const items = Array.from({ length: 51 }, (_, i) => ({ ...event, id: `e${i}` }));
    const out = withRoundReads(task, {
      metrics: { 'cloudwatch:EngineCPUUtilization': 3 },
      events: { since: T0 - 300_000, until: T0, items },
    });
    expect(out).toEqual({
      ...task,
      cloudwatch: { readAt: T0, values: { 'cloudwatch:EngineCPUUtilization': 3 } },
    });
    expect(parseTenantTask(out)).toEqual(out);
  });
});

describe('dispatchTasks', () => {
  it('sends every task with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const sent: string[] = [];
    const report = await dispatchTasks(
      roundTasks(
        Array.from({ length: 100 }, (_, i) => `t${i}`),
        T0,
        60_000,
      ),
      async (task) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setImmediate(r));
        sent.push(task.tenantId);
        inFlight--;
      },
      { concurrency: 8, clock: Date.now },
    );
    expect(most).toBe(8);
    expect(new Set(sent).size).toBe(100);
    expect(report).toMatchObject({ mode: 'fanout', tenants: 100, dispatched: 100, failed: [], at: T0 });
  });

  it('reports a refused send by tenant and sends the others', async () => {
    const report = await dispatchTasks(
      roundTasks(['a', 'b', 'c'], T0, 60_000),
      (task) =>
        task.tenantId === 'b'
          ? Promise.reject(new Error('TooManyRequestsException: Rate exceeded'))
          : Promise.resolve(),
      { concurrency: 2, clock: Date.now },
    );
    expect(report.dispatched).toBe(2);
    expect(report.failed).toEqual([{ tenant: 'b', error: 'TooManyRequestsException: Rate exceeded' }]);
  });
});
