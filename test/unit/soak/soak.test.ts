import { describe, expect, it } from 'vitest';
import { alarmName, judgeSoak } from '../../../src/soak/index.js';
import { HEALTHY_SOAK, SEC, Sim, testPolicy } from './fixtures.js';

// Every scenario: ready at 11 s, cutover at 12 s; the soak (30 s) is judged from the first sample at 13 s.
const CUT = 12 * SEC;

describe('judgeSoak in the soak phase', () => {
  it('passes a healthy soak once the duration elapsed after the cutover', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);

    sim.run(CUT + SEC, CUT + 29 * SEC, HEALTHY_SOAK);
    expect(sim.state.state).toBe('SOAKING');
    expect(sim.last?.verdict).toMatchObject({ phase: 'soak', elapsedMs: 29 * SEC, remainingMs: SEC });
    sim.tick(CUT + 30 * SEC, HEALTHY_SOAK);

    expect(sim.state.state).toBe('PASSED');
    expect(sim.kinds()).toEqual(['ready', 'cutover', 'passed']);
    expect(sim.last?.verdict).toMatchObject({ inconclusive: false, coverage: 1, resets: [] });
  });

  it('blocks the pass while a service still writes to legacy, with the reason recorded', () => {
    const sim = new Sim(testPolicy({ maxResets: 100 }));
    sim.readyAndCutover(CUT);

    sim.run(CUT + SEC, CUT + 60 * SEC, (at) => ({
      ...HEALTHY_SOAK,
      legacyWriteOps: at % (10 * SEC) === 0 ? 800 : 0,
    }));

    expect(sim.state.state).toBe('SOAKING');
    expect(sim.state.resets.length).toBeGreaterThan(0);
    expect(sim.state.resets[0]).toMatchObject({ criterion: 'legacy-writes', phase: 'soak' });
    expect(sim.state.resets[0]?.reason).toContain('sum(legacyWriteOps) over 3s = 800 > 0');
  });

  it('resets the clock on target evictions and passes a full duration after the breach cleared', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);

    sim.run(CUT + SEC, CUT + 10 * SEC, HEALTHY_SOAK);
    sim.tick(CUT + 11 * SEC, { ...HEALTHY_SOAK, targetEvictions: 12 });
    // The 3 s window sees the evictions until 13 s: the clock is held at zero until then.
    sim.run(CUT + 12 * SEC, CUT + 42 * SEC, HEALTHY_SOAK);
    expect(sim.state.state).toBe('SOAKING');
    sim.tick(CUT + 43 * SEC, HEALTHY_SOAK);

    expect(sim.state.state).toBe('PASSED');
    expect(sim.kinds()).toEqual(['ready', 'cutover', 'reset', 'passed']);
    expect(sim.state.resets).toEqual([
      expect.objectContaining({ at: CUT + 11 * SEC, criterion: 'evictions' }),
    ]);
  });

  it('tolerates breaches up to the consecutive count before resetting', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 5 * SEC, HEALTHY_SOAK);

    // mean error rate over 3 s: breaches at 6 s and 7 s (2 in a row), fires on the 3rd.
    sim.tick(CUT + 6 * SEC, { ...HEALTHY_SOAK, targetErrorRate: 9 });
    sim.tick(CUT + 7 * SEC, HEALTHY_SOAK);
    expect(sim.state.resets).toEqual([]);
    expect(sim.last?.verdict.criteria.find((c) => c.id === 'errors')).toMatchObject({
      status: 'breach',
      consecutiveBreaches: 2,
      firing: false,
    });
    sim.tick(CUT + 8 * SEC, HEALTHY_SOAK);

    expect(sim.state.resets).toHaveLength(1);
    expect(sim.last?.verdict.firing.map((f) => f.id)).toEqual(['errors']);
  });

  it('only alerts on a warn criterion: no reset, and the soak still passes', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);

    sim.run(CUT + SEC, CUT + 30 * SEC, (at) => ({
      ...HEALTHY_SOAK,
      targetMemoryPct: at > CUT + 20 * SEC ? 90 : 40,
    }));

    expect(sim.state.state).toBe('PASSED');
    expect(sim.state.resets).toEqual([]);
    expect(sim.last?.verdict.criteria.find((c) => c.id === 'memory')).toMatchObject({
      status: 'breach',
      firing: true,
    });
  });

  it('fails when resets exceed maxResets', () => {
    const sim = new Sim(testPolicy({ maxResets: 2 }));
    sim.readyAndCutover(CUT);

    sim.run(CUT + SEC, CUT + 40 * SEC, (at) => ({
      ...HEALTHY_SOAK,
      targetEvictions: at % (8 * SEC) === 0 ? 1 : 0,
    }));

    expect(sim.state.state).toBe('FAILED');
    expect(sim.state.resets).toHaveLength(3);
    expect(sim.transitions.at(-1)).toMatchObject({
      kind: 'failed',
      reason: 'too many resets: 3 > maxResets 2',
    });
    expect(sim.last?.verdict).toMatchObject({ phase: 'done', remainingMs: null });
  });

  it('fails at once on a fatal breach', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 5 * SEC, HEALTHY_SOAK);

    sim.tick(CUT + 6 * SEC, { ...HEALTHY_SOAK, targetMemoryPct: 99.5 });

    expect(sim.state.state).toBe('FAILED');
    expect(sim.transitions.at(-1)?.reason).toContain('fatal: memory-full');
  });

  it('resets the clock on an ElastiCache failover event', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 20 * SEC, HEALTHY_SOAK);

    sim.tick(CUT + 21 * SEC, HEALTHY_SOAK, {
      events: [
        {
          at: CUT + 20.5 * SEC,
          type: 'ElastiCache:FailoverComplete',
          source: 'elasticache',
          detail: 'acme-0001-001',
        },
      ],
    });

    expect(sim.state.resets).toEqual([
      {
        at: CUT + 20.5 * SEC,
        reason: 'event ElastiCache:FailoverComplete (acme-0001-001)',
        event: 'ElastiCache:FailoverComplete',
        phase: 'soak',
      },
    ]);
    expect(sim.last?.verdict.elapsedMs).toBe(0.5 * SEC);
  });

  it('treats a CloudWatch alarm as a critical breach that holds the clock until the alarm is OK', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 5 * SEC, HEALTHY_SOAK);

    const alarm = {
      type: 'CloudWatchAlarm',
      source: 'cloudwatch',
      detail: 'soakwatch-acme-cpu ALARM: Threshold Crossed',
    } as const;
    sim.tick(CUT + 6 * SEC, HEALTHY_SOAK, { events: [{ ...alarm, at: CUT + 6 * SEC }] });
    sim.run(CUT + 7 * SEC, CUT + 50 * SEC, HEALTHY_SOAK);
    expect(sim.state.state).toBe('SOAKING');
    expect(sim.last?.verdict.firing.map((f) => f.id)).toEqual(['alarm:soakwatch-acme-cpu']);

    sim.tick(CUT + 51 * SEC, HEALTHY_SOAK, {
      events: [
        {
          type: 'CloudWatchAlarmOK',
          source: 'cloudwatch',
          detail: 'soakwatch-acme-cpu',
          at: CUT + 50.5 * SEC,
        },
      ],
    });
    sim.run(CUT + 52 * SEC, CUT + 81 * SEC, HEALTHY_SOAK);

    expect(sim.state.state).toBe('PASSED');
    expect(sim.state.resets).toHaveLength(1);
  });

  it('records events the policy does not reset on', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);

    sim.tick(CUT + SEC, HEALTHY_SOAK, {
      events: [{ at: CUT + SEC, type: 'ElastiCache:SnapshotComplete', source: 'elasticache' }],
    });

    expect(sim.state.resets).toEqual([]);
    expect(sim.state.events).toHaveLength(1);
  });

  it('is inconclusive while the sampler is blind, and that time does not count', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 10 * SEC, HEALTHY_SOAK);

    // Nothing for 20 s: the status at the end of the gap.
    const blind = sim.events(CUT + 30 * SEC, []);
    expect(blind.verdict.inconclusive).toBe(true);
    expect(blind.verdict.criteria.every((c) => c.status === 'nodata')).toBe(true);
    expect(blind.verdict.elapsedMs).toBe(10 * SEC);

    sim.run(CUT + 31 * SEC, CUT + 60 * SEC, HEALTHY_SOAK);
    // 40 s credited of 60 s wall: enough time, too little coverage to pass.
    expect(sim.state.state).toBe('SOAKING');
    expect(sim.last?.verdict.coverage).toBeLessThan(0.95);
  });

  it('revokes a pass on a critical breach before the scale-down and restarts the clock', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 30 * SEC, HEALTHY_SOAK);
    expect(sim.state.state).toBe('PASSED');

    sim.tick(CUT + 31 * SEC, { ...HEALTHY_SOAK, targetEvictions: 3 });

    expect(sim.state.state).toBe('SOAKING');
    expect(sim.transitions.at(-1)).toMatchObject({ kind: 'pass-revoked', from: 'PASSED', to: 'SOAKING' });
    expect(sim.last?.verdict).toMatchObject({ elapsedMs: 0, remainingMs: 30 * SEC });
  });

  it('withdraws an approval on a critical breach', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 30 * SEC, HEALTHY_SOAK);
    sim.act(CUT + 30.5 * SEC, { type: 'approve', actor: 'rm' });

    sim.tick(CUT + 31 * SEC, { ...HEALTHY_SOAK, legacyWriteOps: 100 });

    expect(sim.transitions.at(-1)).toMatchObject({
      kind: 'pass-revoked',
      from: 'SCALE_DOWN_APPROVED',
      to: 'SOAKING',
    });
  });

  it('approves the scale-down with the pass when autoApprove is on', () => {
    const sim = new Sim(testPolicy({ autoApprove: true }));
    sim.readyAndCutover(CUT);

    sim.run(CUT + SEC, CUT + 30 * SEC, HEALTHY_SOAK);

    expect(sim.state.state).toBe('SCALE_DOWN_APPROVED');
    expect(sim.kinds().slice(-2)).toEqual(['passed', 'approved']);
  });

  it('cannot pass while a criterion has no data at the end', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 28 * SEC, HEALTHY_SOAK);

    // Two partial samples at the end: one alone no longer blanks the 3 s window.
    sim.tick(CUT + 29 * SEC, { ...HEALTHY_SOAK, targetErrorRate: null }, { complete: false });
    sim.tick(CUT + 30 * SEC, { ...HEALTHY_SOAK, targetErrorRate: null }, { complete: false });

    expect(sim.state.state).toBe('SOAKING');
    expect(sim.last?.verdict.inconclusive).toBe(true);
  });

  it('makes no second transition when a tick is re-delivered', () => {
    const sim = new Sim(testPolicy());
    sim.readyAndCutover(CUT);
    sim.run(CUT + SEC, CUT + 29 * SEC, HEALTHY_SOAK);
    const input = {
      now: CUT + 30 * SEC,
      samples: [{ at: CUT + 30 * SEC, derived: HEALTHY_SOAK, complete: true }],
      events: [
        {
          at: CUT + 30 * SEC,
          type: 'ElastiCache:SnapshotComplete',
          source: 'elasticache' as const,
          id: 'e1',
        },
      ],
    };
    const once = judgeTwice(sim, input);

    expect(once.first.transitions.map((t) => t.kind)).toEqual(['passed']);
    expect(once.second.transitions).toEqual([]);
    expect(once.second.state).toEqual(once.first.state);
  });
});

function judgeTwice(sim: Sim, input: Parameters<typeof judgeSoak>[1]) {
  const first = judgeSoak(sim.state, input, sim.policy);
  const second = judgeSoak(first.state, input, sim.policy);
  return { first, second };
}

describe('alarmName', () => {
  it('pairs the ALARM and the OK of one alarm as src/events words them', () => {
    expect(alarmName('soakwatch-acme-cpu ALARM: Threshold Crossed: 1 datapoint')).toBe('soakwatch-acme-cpu');
    expect(alarmName('soakwatch-acme-cpu OK: Threshold no longer crossed')).toBe('soakwatch-acme-cpu');
    expect(alarmName('my alarm with spaces OK')).toBe('my alarm with spaces');
    expect(alarmName('plain-name')).toBe('plain-name');
    expect(alarmName(undefined)).toBe('CloudWatchAlarm');
  });
});
