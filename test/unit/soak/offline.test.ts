import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FullCompareOutcome,
  fullCompareEvent,
  type JudgeSample,
  judgeSoak,
  replayPolicy,
  type SoakEvent,
} from '../../../src/soak/index.js';
import { HEALTHY_REPLICATION, SEC, Sim, testPolicy } from './fixtures.js';

// Offline migrations (no CDC): one full compare of every key replaces the replication phase's
// readiness loop. `soakwatch compare --full` records it as a FullCompare event.

const offline = () => testPolicy({ mode: 'offline' });
const SPOT_CLEAN = { ...HEALTHY_REPLICATION, spotCheckChecked: 20, spotCheckMismatches: 0 };

function compare(at: number, over: Partial<FullCompareOutcome> = {}): SoakEvent {
  return fullCompareEvent(
    { checked: 1_000, mismatches: 0, unverified: 0, byClass: {}, durationMs: 900, ...over },
    at,
    'alice',
  );
}
const dirty = (at: number) =>
  compare(at, { mismatches: 3, byClass: { missing: { count: 1 }, value: { count: 2 }, ttl: { count: 0 } } });

const evidenceOf = (sim: Sim) => sim.last?.verdict.criteria.find((c) => c.id === 'full-compare');

describe('judgeSoak in offline mode', () => {
  it('stays REPLICATING on clean spot-checks alone: they are evidence, not the proof', () => {
    const sim = new Sim(offline());

    sim.run(SEC, 30 * SEC, SPOT_CLEAN);

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.transitions).toEqual([]);
    expect(sim.last?.verdict).toMatchObject({ remainingMs: null, inconclusive: false });
    expect(sim.last?.verdict.spotCheck).toMatchObject({ checked: 600, mismatches: 0 });
    expect(evidenceOf(sim)).toMatchObject({ status: 'nodata', value: null, firing: false });
  });

  it('becomes CUTOVER_READY when a clean full compare arrives, naming the count and the time', () => {
    const sim = new Sim(offline());
    sim.run(SEC, 3 * SEC, SPOT_CLEAN);

    sim.tick(4 * SEC, SPOT_CLEAN, { events: [compare(3_500)] });

    expect(sim.state.state).toBe('CUTOVER_READY');
    expect(sim.transitions).toEqual([
      expect.objectContaining({
        kind: 'ready',
        at: 3_500,
        actor: 'soakwatch',
        reason: 'full compare clean: 1000 keys compared, 0 mismatches (completed 1970-01-01T00:00:03.500Z)',
      }),
    ]);
    expect(evidenceOf(sim)).toMatchObject({ status: 'ok', value: 0, firing: false, severity: 'critical' });
    expect(sim.last?.verdict).toMatchObject({
      remainingMs: 0,
      requiredMs: 0,
      fullCompare: { at: 3_500, checked: 1_000, mismatches: 0, clean: true },
    });
  });

  it('keeps a dirty full compare back and shows it firing in the evidence, then a clean one makes it ready', () => {
    const sim = new Sim(offline());
    sim.run(SEC, 3 * SEC, SPOT_CLEAN);

    sim.tick(4 * SEC, SPOT_CLEAN, { events: [dirty(3_500)] });

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.transitions).toEqual([]);
    const verdict = sim.last?.verdict;
    expect(verdict?.firing).toEqual([
      expect.objectContaining({
        id: 'full-compare',
        metric: 'fullCompareMismatches',
        status: 'breach',
        severity: 'critical',
        value: 3,
        threshold: 0,
        op: '>',
        firingSince: 3_500,
        breachCount: 1,
      }),
    ]);
    expect(verdict?.fullCompare?.summary).toBe(
      'full compare completed 1970-01-01T00:00:03.500Z: 1000 keys compared, 3 mismatches (missing 1, value 2)',
    );
    expect(verdict?.fullCompare?.clean).toBe(false);

    sim.run(5 * SEC, 8 * SEC, SPOT_CLEAN);
    expect(sim.state.state).toBe('REPLICATING'); // still firing: only a new compare clears it
    expect(evidenceOf(sim)).toMatchObject({ status: 'breach', firing: true });
    sim.tick(9 * SEC, SPOT_CLEAN, { events: [compare(8_500)] });

    expect(sim.kinds()).toEqual(['ready']);
    expect(sim.last?.verdict.firing).toEqual([]);
    expect(evidenceOf(sim)).toMatchObject({ status: 'ok', breachCount: 1, lastBreachAt: 3_500 });
  });

  it('revokes readiness when a later full compare finds mismatches', () => {
    const sim = new Sim(offline());
    sim.tick(SEC, SPOT_CLEAN, { events: [compare(500)] });

    sim.tick(3 * SEC, SPOT_CLEAN, { events: [dirty(2_500)] });

    expect(sim.kinds()).toEqual(['ready', 'revoked']);
    expect(sim.transitions[1]).toMatchObject({
      at: 2_500,
      reason: expect.stringContaining('readiness revoked: full compare completed 1970-01-01T00:00:02.500Z'),
    });
    expect(sim.last?.verdict.resets).toEqual([
      expect.objectContaining({ phase: 'replication', criterion: 'full-compare', event: 'FullCompare' }),
    ]);
    expect(sim.last?.verdict.firing.map((f) => f.id)).toEqual(['full-compare']);
  });

  it('does not take a compare that left keys unreadable, or compared none, as proof', () => {
    const sim = new Sim(offline());

    sim.tick(SEC, SPOT_CLEAN, { events: [compare(500, { unverified: 4 })] });
    expect(evidenceOf(sim)).toMatchObject({ status: 'nodata', value: null, firing: false });
    sim.tick(2 * SEC, SPOT_CLEAN, { events: [compare(1_500, { checked: 0 })] });

    expect(sim.state.state).toBe('REPLICATING');
    expect(evidenceOf(sim)).toMatchObject({ status: 'nodata', firing: false });
    expect(sim.last?.verdict.fullCompare?.summary).toContain(
      '0 keys compared, 0 mismatches (no key compared)',
    );
  });

  it('records a FullCompare event without counts but takes nothing from it', () => {
    const sim = new Sim(offline());

    sim.tick(SEC, SPOT_CLEAN, {
      events: [{ at: 500, type: 'FullCompare', source: 'manual', id: 'x', mismatches: 0 }],
    });

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.state.events).toHaveLength(1);
    expect(sim.state.fullCompare).toBeUndefined();
  });

  it('revokes on a spot-check mismatch after the compare, and only a new full compare makes it ready again', () => {
    const sim = new Sim(offline());
    sim.tick(SEC, SPOT_CLEAN, { events: [compare(500)] });

    sim.tick(2 * SEC, { ...SPOT_CLEAN, spotCheckMismatches: 2 });
    sim.run(3 * SEC, 20 * SEC, SPOT_CLEAN);

    expect(sim.kinds()).toEqual(['ready', 'revoked']);
    expect(sim.transitions[1]?.reason).toContain('spot-check found 2 mismatches after the full compare');
    expect(sim.state.state).toBe('REPLICATING');
    expect(evidenceOf(sim)).toMatchObject({ status: 'nodata', firing: false });
    expect(sim.last?.verdict.fullCompare?.voided).toMatchObject({ at: 2 * SEC });

    sim.tick(21 * SEC, SPOT_CLEAN, { events: [compare(20_500)] });
    expect(sim.kinds()).toEqual(['ready', 'revoked', 'ready']);
  });

  it('does not revoke on spot-check mismatches while the writes move to the target with autoCutover', () => {
    const sim = new Sim(testPolicy({ mode: 'offline', autoCutover: true }));
    sim.tick(SEC, SPOT_CLEAN, { events: [compare(500)] });
    const moved = { ...SPOT_CLEAN, spotCheckMismatches: 5, legacyWriteOps: 0, targetWriteOps: 9_000 };

    sim.run(2 * SEC, 4 * SEC, moved);

    expect(sim.kinds()).toEqual(['ready', 'cutover']);
  });

  it('needs a new compare after a failover event, and ignores one from before a restart', () => {
    const sim = new Sim(offline());
    sim.tick(SEC, SPOT_CLEAN, { events: [compare(500)] });
    sim.tick(2 * SEC, SPOT_CLEAN, {
      events: [{ at: 1_500, type: 'ElastiCache:FailoverComplete', source: 'elasticache', id: 'f1' }],
    });
    sim.run(3 * SEC, 5 * SEC, SPOT_CLEAN);
    expect(sim.kinds()).toEqual(['ready', 'revoked']);

    sim.act(5_500, { type: 'abort', actor: 'rm' });
    sim.act(6 * SEC, { type: 'restart', actor: 'rm' });
    sim.tick(7 * SEC, SPOT_CLEAN, { events: [compare(5_800)] });

    expect(sim.state.state).toBe('REPLICATING');
    expect(sim.state.fullCompare).toBeUndefined();
    expect(evidenceOf(sim)).toMatchObject({ status: 'nodata' });
  });

  it('keeps readiness on a late failover notification of something before the compare', () => {
    const sim = new Sim(offline());
    sim.tick(2 * SEC, SPOT_CLEAN, { events: [compare(1_500)] });

    sim.tick(3 * SEC, SPOT_CLEAN, {
      events: [{ at: 1_000, type: 'ElastiCache:FailoverComplete', source: 'elasticache', id: 'late' }],
    });

    expect(sim.kinds()).toEqual(['ready']);
    expect(sim.state.events.map((e) => e.id)).toContain('late');
  });

  it('waits for an open CloudWatch alarm to clear before a clean compare makes it ready', () => {
    const sim = new Sim(offline());
    sim.tick(SEC, SPOT_CLEAN, {
      events: [{ at: 500, type: 'CloudWatchAlarm', source: 'cloudwatch', detail: 'cpu ALARM', id: 'a1' }],
    });
    sim.tick(2 * SEC, SPOT_CLEAN, { events: [compare(1_500)] });
    expect(sim.state.state).toBe('REPLICATING');

    sim.tick(3 * SEC, SPOT_CLEAN, {
      events: [{ at: 2_500, type: 'CloudWatchAlarmOK', source: 'cloudwatch', detail: 'cpu OK', id: 'a2' }],
    });

    expect(sim.transitions).toEqual([expect.objectContaining({ kind: 'ready', at: 3 * SEC })]);
  });

  it('changes nothing in online mode: a FullCompare event is only recorded', () => {
    const plain = new Sim(testPolicy());
    const withCompare = new Sim(testPolicy());

    for (let at = SEC; at <= 14 * SEC; at += SEC) {
      plain.tick(at, HEALTHY_REPLICATION);
      withCompare.tick(at, HEALTHY_REPLICATION, { events: at === 3 * SEC ? [dirty(2_500)] : [] });
    }

    expect(withCompare.transitions).toEqual(plain.transitions);
    expect(withCompare.last?.verdict).toEqual(plain.last?.verdict);
    expect(withCompare.last?.verdict.criteria.map((c) => c.id)).toEqual(['drift', 'lag']);
    expect(withCompare.state.fullCompare).toBeUndefined();
  });

  it('gives the same verdict when the same samples and events are replayed, batched or one by one', () => {
    const policy = offline();
    const samples: JudgeSample[] = [];
    for (let at = SEC; at <= 20 * SEC; at += SEC)
      samples.push({
        at,
        derived: { ...SPOT_CLEAN, spotCheckMismatches: at === 12 * SEC ? 1 : 0 },
        complete: true,
      });
    const events = [dirty(3_500), compare(6_500), compare(15_500)];
    const live = new Sim(policy);
    for (const s of samples)
      live.tick(s.at, s.derived, { events: events.filter((e) => e.at < s.at && e.at >= s.at - SEC) });

    const replay = replayPolicy(samples, events, [], policy, 'acme', 0);
    const batch = judgeSoak(live.state, { now: 20 * SEC, samples, events }, policy); // all seen: a no-op

    expect(live.kinds()).toEqual(['ready', 'revoked', 'ready']);
    expect(replay.timeline).toEqual(live.transitions);
    expect(replay.final).toEqual(live.last?.verdict);
    expect(batch.transitions).toEqual([]);
    expect(batch.state).toEqual(live.state);
  });
});

describe('judgeSoak in offline mode (properties)', () => {
  const step = fc.record({
    spotMismatches: fc.constantFrom(0, 0, 0, 1),
    compare: fc.constantFrom<null | 'clean' | 'dirty' | 'unread'>(
      null,
      null,
      null,
      'clean',
      'dirty',
      'unread',
    ),
  });

  it('is never CUTOVER_READY unless the last full compare of the phase was clean, and replays the same', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const policy = offline();
        const sim = new Sim(policy);
        const samples: JudgeSample[] = [];
        const events: SoakEvent[] = [];
        steps.forEach((st, i) => {
          const at = (i + 1) * SEC;
          const derived = { ...SPOT_CLEAN, spotCheckMismatches: st.spotMismatches };
          const ev =
            st.compare === null
              ? []
              : [
                  st.compare === 'clean'
                    ? compare(at - 500)
                    : st.compare === 'dirty'
                      ? dirty(at - 500)
                      : compare(at - 500, { unverified: 1 }),
                ];
          samples.push({ at, derived, complete: true });
          events.push(...ev);
          sim.tick(at, derived, { events: ev });
          if (sim.state.state === 'CUTOVER_READY') {
            const last = sim.state.fullCompare?.last;
            expect(last?.mismatches).toBe(0);
            expect(last?.unverified).toBe(0);
            expect(sim.state.fullCompare?.voided).toBeUndefined();
          }
        });
        const replay = replayPolicy(samples, events, [], policy, 'acme', 0);
        expect(replay.timeline).toEqual(sim.transitions);
        expect(replay.final).toEqual(sim.last?.verdict);
      }),
      { numRuns: 200 },
    );
  });
});
