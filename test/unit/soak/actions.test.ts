import { describe, expect, it } from 'vitest';
import { applyAction, initialSoakState, JudgeInputError, judgeSoak } from '../../../src/soak/index.js';
import { HEALTHY_REPLICATION, HEALTHY_SOAK, SEC, Sim, testPolicy } from './fixtures.js';

const policy = testPolicy();

describe('applyAction', () => {
  it('cuts over from CUTOVER_READY and starts the soak clock', () => {
    const sim = new Sim(policy);
    sim.run(SEC, 11 * SEC, HEALTHY_REPLICATION);

    const r = applyAction(
      sim.state,
      { type: 'cutover', actor: 'alice', reason: 'change window' },
      policy,
      12 * SEC,
    );

    expect(r.ok && r.transition).toEqual({
      at: 12 * SEC,
      from: 'CUTOVER_READY',
      to: 'SOAKING',
      kind: 'cutover',
      actor: 'alice',
      reason: 'change window',
    });
    expect(r.ok && r.state).toMatchObject({
      phase: 'soak',
      phaseStartedAt: 12 * SEC,
      clock: { startedAt: 12 * SEC },
    });
  });

  it('refuses a cutover before readiness unless forced with a reason', () => {
    const state = initialSoakState('acme', policy, 0);

    expect(applyAction(state, { type: 'cutover', actor: 'alice' }, policy, SEC)).toMatchObject({ ok: false });
    expect(applyAction(state, { type: 'cutover', actor: 'alice', force: true }, policy, SEC)).toEqual({
      ok: false,
      reason: 'a forced cutover from REPLICATING needs a reason',
    });
    const forced = applyAction(
      state,
      { type: 'cutover', actor: 'alice', force: true, reason: 'incident' },
      policy,
      SEC,
    );
    expect(forced.ok && forced.transition.reason).toBe('incident (forced before readiness)');
  });

  it('refuses an action without an actor', () => {
    const state = initialSoakState('acme', policy, 0);

    expect(applyAction(state, { type: 'abort', actor: ' ' }, policy, SEC)).toMatchObject({ ok: false });
  });

  it('approves only from PASSED and marks the scale-down only from SCALE_DOWN_APPROVED', () => {
    const sim = new Sim(policy);
    sim.readyAndCutover(12 * SEC);
    expect(applyAction(sim.state, { type: 'approve', actor: 'rm' }, policy, 13 * SEC)).toMatchObject({
      ok: false,
      reason: 'approve is possible from PASSED only; the state is SOAKING',
    });
    expect(applyAction(sim.state, { type: 'scaled-down', actor: 'rm' }, policy, 13 * SEC)).toMatchObject({
      ok: false,
    });
    sim.run(13 * SEC, 42 * SEC, HEALTHY_SOAK);

    sim.act(43 * SEC, { type: 'approve', actor: 'rm' });
    sim.act(44 * SEC, { type: 'scaled-down', actor: 'hook:scale-down' });

    expect(sim.kinds()).toEqual(['ready', 'cutover', 'passed', 'approved', 'scaled-down']);
    expect(sim.state.state).toBe('SCALED_DOWN');
  });

  it('aborts from any live state but not twice', () => {
    const state = initialSoakState('acme', policy, 0);

    const aborted = applyAction(state, { type: 'abort', actor: 'rm', reason: 'rollback' }, policy, SEC);

    expect(aborted.ok && aborted.state.state).toBe('ABORTED');
    if (!aborted.ok) return;
    expect(applyAction(aborted.state, { type: 'abort', actor: 'rm' }, policy, 2 * SEC)).toMatchObject({
      ok: false,
    });
  });

  it('restarts from FAILED back to a fresh replication phase, keeping the reset history', () => {
    const sim = new Sim(testPolicy({ maxResets: 0 }));
    sim.readyAndCutover(12 * SEC);
    sim.tick(13 * SEC, { ...HEALTHY_SOAK, targetEvictions: 5 });
    expect(sim.state.state).toBe('FAILED');
    expect(applyAction(sim.state, { type: 'restart', actor: 'rm' }, sim.policy, 14 * SEC).ok).toBe(true);

    sim.act(14 * SEC, { type: 'restart', actor: 'rm', reason: 'fixed the writer' });

    expect(sim.state).toMatchObject({
      state: 'REPLICATING',
      phase: 'replication',
      resetCount: 0,
      clock: null,
    });
    expect(sim.state.resets).toHaveLength(1);
    expect(applyAction(sim.state, { type: 'restart', actor: 'rm' }, sim.policy, 15 * SEC)).toMatchObject({
      ok: false,
    });
  });

  it('does not modify the state it is given', () => {
    const state = initialSoakState('acme', policy, 0);
    const before = structuredClone(state);

    applyAction(state, { type: 'abort', actor: 'rm' }, policy, SEC);
    judgeSoak(
      state,
      { now: SEC, samples: [{ at: SEC, derived: HEALTHY_REPLICATION, complete: true }], events: [] },
      policy,
    );

    expect(state).toEqual(before);
  });
});

describe('judge input validation', () => {
  it('names the offending field of bad input', () => {
    const state = initialSoakState('acme', policy, 0);

    expect(() =>
      judgeSoak(
        state,
        { now: SEC, samples: [{ at: Number.NaN, derived: {}, complete: true }], events: [] },
        policy,
      ),
    ).toThrow(JudgeInputError);
    expect(() =>
      judgeSoak(state, { now: SEC, samples: [], events: [{ at: SEC, type: '', source: 'manual' }] }, policy),
    ).toThrow(/events\[0\]\.type/);
    expect(() => initialSoakState('acme', policy, Number.POSITIVE_INFINITY)).toThrow(/now/);
  });

  it('treats non-finite metric values as no data', () => {
    const sim = new Sim(policy);

    sim.tick(SEC, { ...HEALTHY_REPLICATION, keyDrift: Number.NaN });

    expect(sim.last?.verdict.criteria.find((c) => c.id === 'drift')?.status).toBe('nodata');
  });
});
