import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/index.js';
import {
  type CriterionEvidence,
  initialSoakState,
  type Verdict,
  verdictOf,
} from '../../../src/soak/index.js';
import {
  FUTURE_SAMPLE_ALERT_ID,
  findFutureSample,
  futureSampleAlertInput,
  toAlertInput,
} from '../../../src/tick/index.js';

const T0 = Date.UTC(2026, 0, 1);
const config = configSchema.parse({
  stateStore: { url: 'redis://127.0.0.1:1' },
  tenants: [{ id: 'acme', legacy: { url: 'redis://127.0.0.1:2' }, target: { url: 'redis://127.0.0.1:3' } }],
});
const tenant = config.tenants[0] ?? (undefined as never);
const state = initialSoakState('acme', tenant.soak, T0);

function firing(over: Partial<CriterionEvidence>): CriterionEvidence {
  return {
    id: 'sampler',
    metric: 'samplerFailures',
    severity: 'critical',
    status: 'breach',
    value: 1,
    worst: 1,
    threshold: 0,
    op: '>',
    aggregate: 'max',
    breachCount: 1,
    consecutiveBreaches: 2,
    firing: true,
    firingSince: T0,
    lastBreachAt: T0,
    ...over,
  };
}

function verdict(over: Partial<Verdict>): Verdict {
  return { ...verdictOf(state, tenant.soak, T0), ...over };
}

describe('toAlertInput', () => {
  it("passes each firing criterion's cause and detail, and the verdict's inconclusive reasons", () => {
    const memory = firing({
      id: 'memory',
      metric: 'targetMemoryPct',
      cause: 'no maxmemory on 127.0.0.1:7001',
    });
    const sampler = firing({ detail: '127.0.0.1:7003 unreachable' });
    const v = verdict({
      firing: [memory, sampler],
      inconclusive: true,
      inconclusiveReasons: ['coverage 80.0 %'],
    });

    const input = toAlertInput(tenant, { state, transitions: [], verdict: v }, T0);

    expect(input.firing.map((f) => [f.id, f.cause, f.detail])).toEqual([
      ['memory', 'no maxmemory on 127.0.0.1:7001', undefined],
      ['sampler', undefined, '127.0.0.1:7003 unreachable'],
    ]);
    expect(input.inconclusiveReasons).toEqual(['coverage 80.0 %']);
  });

  it('names the unread nodes in a sampler alert when the judge gave no detail', () => {
    const v = verdict({ firing: [firing({}), firing({ id: 'evictions', metric: 'targetEvictions' })] });

    const input = toAlertInput(tenant, { state, transitions: [], verdict: v }, T0, {
      unreadNodes: [{ address: '127.0.0.1:7003', error: 'Command timed out' }, { address: '127.0.0.1:7004' }],
    });

    expect(input.firing[0]?.detail).toBe('cannot read 127.0.0.1:7003 (Command timed out), 127.0.0.1:7004');
    expect(input.firing[1]?.detail).toBeUndefined();
  });
});

describe('a sample from the future', () => {
  it('is the tick ahead of the store, else the stored sample ahead of the tick, beyond the skew only', () => {
    const maxSkewMs = 30_000;

    expect(findFutureSample({ now: T0 + 30_000, storeNow: T0, latestAt: null, maxSkewMs })).toBeUndefined();
    expect(findFutureSample({ now: T0 + 30_001, storeNow: T0, latestAt: null, maxSkewMs })).toMatchObject({
      kind: 'tick',
      aheadMs: 30_001,
    });
    expect(findFutureSample({ now: T0, storeNow: T0, latestAt: T0 + 30_000, maxSkewMs })).toBeUndefined();
    expect(findFutureSample({ now: T0, storeNow: T0, latestAt: T0 + 3_600_000, maxSkewMs })).toMatchObject({
      kind: 'stored',
      at: T0 + 3_600_000,
      reference: T0,
    });
    // A clock behind the store is no sample from the future.
    expect(
      findFutureSample({ now: T0 - 3_600_000, storeNow: T0, latestAt: null, maxSkewMs }),
    ).toBeUndefined();
  });

  it('fires on-call as critical, next to what fired at the last judged tick', () => {
    const judged = {
      ...state,
      openAlarms: { 'soakwatch-acme-cpu': T0 - 60_000 },
    };
    const future = findFutureSample({ now: T0 + 120_000, storeNow: T0, latestAt: null, maxSkewMs: 30_000 });
    if (!future) throw new Error('expected a future sample');

    const input = futureSampleAlertInput(tenant, judged, future, T0);

    expect(input.firing.map((f) => [f.id, f.severity])).toEqual([
      ['alarm:soakwatch-acme-cpu', 'critical'],
      [FUTURE_SAMPLE_ALERT_ID, 'critical'],
    ]);
    expect(input.firing[1]?.detail).toMatch(/is 2m ahead of the state store's clock/);
  });
});
