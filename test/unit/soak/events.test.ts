import { describe, expect, it } from 'vitest';
import { INCIDENT_WINDOW_MS, type SoakEvent } from '../../../src/soak/index.js';
import { HEALTHY_REPLICATION, HEALTHY_SOAK, SEC, Sim, testPolicy } from './fixtures.js';

const MIN = 60_000;
const CUT = 12 * SEC;

function failover(at: number, id: string, over: Partial<SoakEvent> = {}): SoakEvent {
  return {
    at,
    id,
    type: 'ElastiCache:FailoverComplete',
    source: 'elasticache',
    sourceId: 'acme-0001-001',
    ...over,
  };
}

function alarm(at: number, state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA', id: string): SoakEvent {
  const type = {
    ALARM: 'CloudWatchAlarm',
    OK: 'CloudWatchAlarmOK',
    INSUFFICIENT_DATA: 'CloudWatchAlarmInsufficientData',
  }[state];
  return {
    at,
    id,
    type,
    source: 'cloudwatch',
    alarmName: 'soakwatch-acme-cpu',
    alarmState: state,
    detail: `threshold crossed (${state})`,
  };
}

/** Ready, cut over at 12 s, soaking with one sample a second until `until`. */
function soakUntil(until: number, policy = testPolicy({ maxResets: 5 })): Sim {
  const sim = new Sim(policy);
  sim.readyAndCutover(CUT);
  sim.run(CUT + SEC, until, HEALTHY_SOAK);
  return sim;
}

describe('events: one incident, one reset', () => {
  it('counts one failover seen through SNS and DescribeEvents (two ids) as one reset', () => {
    const sim = soakUntil(CUT + 20 * SEC);

    sim.tick(CUT + 21 * SEC, HEALTHY_SOAK, { events: [failover(CUT + 20.5 * SEC, 'sns-1')] });
    sim.run(CUT + 22 * SEC, CUT + 24 * SEC, HEALTHY_SOAK);
    sim.tick(CUT + 25 * SEC, HEALTHY_SOAK, { events: [failover(CUT + 20.6 * SEC, 'describe-events-9')] });

    expect(sim.state.resets).toEqual([
      expect.objectContaining({
        at: CUT + 20.5 * SEC,
        event: 'ElastiCache:FailoverComplete',
        reason: 'event ElastiCache:FailoverComplete on acme-0001-001',
      }),
    ]);
    expect(sim.state.resetCount).toBe(1);
    expect(sim.kinds()).toEqual(['ready', 'cutover', 'reset']);
    expect(sim.state.incident).toEqual({
      at: CUT + 20.5 * SEC,
      event: 'ElastiCache:FailoverComplete',
      joined: 1,
    });
    expect(sim.state.events.map((e) => e.id)).toEqual(['sns-1', 'describe-events-9']);
  });

  it('restarts the clock at a later event of the same incident, without counting it', () => {
    const resetOn = ['ElastiCache:FailoverComplete', 'ElastiCache:NodeReplaceStarted'];
    const sim = soakUntil(CUT + 20 * SEC, testPolicy({ maxResets: 5, events: { resetOn } }));
    sim.tick(CUT + 21 * SEC, HEALTHY_SOAK, { events: [failover(CUT + 20.5 * SEC, 'f1')] });
    sim.run(CUT + 22 * SEC, CUT + 29 * SEC, HEALTHY_SOAK);

    const replaced = failover(CUT + 29.5 * SEC, 'r1', { type: 'ElastiCache:NodeReplaceStarted' });
    const r = sim.tick(CUT + 30 * SEC, HEALTHY_SOAK, { events: [replaced] });

    expect(sim.state.resetCount).toBe(1);
    expect(r.verdict.elapsedMs).toBe(0.5 * SEC);
  });

  it('counts two incidents further apart than INCIDENT_WINDOW_MS as two resets', () => {
    const policy = testPolicy({ maxResets: 5, soak: { duration: '1h', criteria: [] } });
    const sim = new Sim(policy);
    sim.readyAndCutover(CUT);

    sim.events(CUT + MIN, [failover(CUT + MIN, 'f1')]);
    sim.events(CUT + MIN + INCIDENT_WINDOW_MS, [failover(CUT + MIN + INCIDENT_WINDOW_MS, 'f2')]);
    sim.events(CUT + 2 * MIN + INCIDENT_WINDOW_MS, [failover(CUT + 2 * MIN + INCIDENT_WINDOW_MS, 'f3')]);

    // f2 is exactly at the window's edge: the same incident; f3 is past it.
    expect(sim.state.resets.map((r) => r.at)).toEqual([CUT + MIN, CUT + 2 * MIN + INCIDENT_WINDOW_MS]);
  });

  it('does not fail a soak on maxResets because each failover arrived twice', () => {
    const policy = testPolicy({ maxResets: 2, soak: { duration: '1h', criteria: [] } });
    const sim = new Sim(policy);
    sim.readyAndCutover(CUT);

    for (const [n, at] of [CUT + MIN, CUT + 20 * MIN].entries())
      sim.events(at + SEC, [failover(at, `sns-${n}`), failover(at + 300, `describe-${n}`)]);

    expect(sim.state.state).toBe('SOAKING');
    expect(sim.state.resetCount).toBe(2);
  });

  it('still counts a failover in PASSED as a reset that revokes the pass', () => {
    const sim = soakUntil(CUT + 30 * SEC);
    expect(sim.state.state).toBe('PASSED');

    sim.events(CUT + 31 * SEC, [failover(CUT + 31 * SEC, 'f1')]);

    expect(sim.kinds().at(-1)).toBe('pass-revoked');
    expect(sim.state.resetCount).toBe(1);
  });
});

describe('events: an alarm is in the state of its latest change by time', () => {
  it('does not let a late OK close a newer ALARM', () => {
    const sim = soakUntil(CUT + 10 * SEC);

    sim.tick(CUT + 11 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 10.5 * SEC, 'ALARM', 'a2')] });
    sim.tick(CUT + 12 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 9 * SEC, 'OK', 'a1')] });

    expect(sim.state.openAlarms).toEqual({ 'soakwatch-acme-cpu': CUT + 10.5 * SEC });
    expect(sim.last?.verdict.firing.map((f) => f.id)).toEqual(['alarm:soakwatch-acme-cpu']);
  });

  it('neither opens nor resets on a late ALARM older than the OK already applied', () => {
    const sim = soakUntil(CUT + 10 * SEC);
    sim.tick(CUT + 11 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 10.5 * SEC, 'OK', 'ok')] });

    sim.tick(CUT + 12 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 10.2 * SEC, 'ALARM', 'late')] });

    expect(sim.state.openAlarms).toEqual({});
    expect(sim.state.resets).toEqual([]);
    expect(sim.state.events.map((e) => e.id)).toEqual(['ok', 'late']);
  });

  it('resets once for an ALARM delivered twice', () => {
    const sim = soakUntil(CUT + 10 * SEC);

    sim.tick(CUT + 11 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 10.5 * SEC, 'ALARM', 'eventbridge')] });
    sim.tick(CUT + 12 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 11.5 * SEC, 'ALARM', 'again')] });

    expect(sim.state.resets).toHaveLength(1);
    expect(sim.state.resets[0]?.reason).toBe('event CloudWatchAlarm (threshold crossed (ALARM))');
  });

  it('keeps an open alarm open through INSUFFICIENT_DATA, until it is seen OK', () => {
    const sim = soakUntil(CUT + 10 * SEC);
    sim.tick(CUT + 11 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 10.5 * SEC, 'ALARM', 'a')] });

    sim.tick(CUT + 12 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 11.5 * SEC, 'INSUFFICIENT_DATA', 'i')] });
    expect(Object.keys(sim.state.openAlarms)).toEqual(['soakwatch-acme-cpu']);
    sim.tick(CUT + 13 * SEC, HEALTHY_SOAK, { events: [alarm(CUT + 12.5 * SEC, 'OK', 'o')] });

    expect(sim.state.openAlarms).toEqual({});
  });

  it('reads the alarm from alarmName and alarmState, never from detail', () => {
    const sim = soakUntil(CUT + 10 * SEC);
    const open: SoakEvent = {
      at: CUT + 10.5 * SEC,
      id: 'x1',
      type: 'CloudWatchAlarm',
      source: 'cloudwatch',
      alarmName: 'soakwatch-acme-memory',
      alarmState: 'ALARM',
      detail: 'some other alarm OK: text that looks like a state',
    };
    sim.tick(CUT + 11 * SEC, HEALTHY_SOAK, { events: [open] });
    expect(Object.keys(sim.state.openAlarms)).toEqual(['soakwatch-acme-memory']);

    sim.tick(CUT + 12 * SEC, HEALTHY_SOAK, {
      events: [
        {
          ...open,
          id: 'x2',
          at: CUT + 11.5 * SEC,
          type: 'CloudWatchAlarmOK',
          alarmState: 'OK',
          detail: 'fine',
        },
      ],
    });

    expect(sim.state.openAlarms).toEqual({});
  });

  it('pairs old stored alarm events without the fields by the name at the start of detail', () => {
    const sim = new Sim(testPolicy());
    sim.run(SEC, 5 * SEC, HEALTHY_REPLICATION);

    sim.events(5.5 * SEC, [
      {
        at: 5.5 * SEC,
        type: 'CloudWatchAlarm',
        source: 'cloudwatch',
        detail: 'soakwatch-acme-cpu ALARM: crossed',
      },
    ]);
    expect(Object.keys(sim.state.openAlarms)).toEqual(['soakwatch-acme-cpu']);
    sim.events(6.5 * SEC, [
      {
        at: 6.5 * SEC,
        type: 'CloudWatchAlarmOK',
        source: 'cloudwatch',
        detail: 'soakwatch-acme-cpu OK: fine',
      },
    ]);

    expect(sim.state.openAlarms).toEqual({});
  });

  it('refuses an alarm state it does not know, naming the field', () => {
    const sim = new Sim(testPolicy());
    const bad = { ...alarm(SEC, 'ALARM', 'b'), alarmState: 'RED' } as unknown as SoakEvent;

    expect(() => sim.events(SEC, [bad])).toThrow(/events\[0\]\.alarmState/);
  });
});
