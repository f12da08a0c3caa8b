import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../../src/config/schema.js';
import {
  coverageFloor,
  initialSoakState,
  type JudgeResult,
  type JudgeSample,
  judgeSoak,
  replayPolicy,
  type SoakEvent,
  type Transition,
} from '../../../src/soak/index.js';
import { SEC, testPolicy } from './fixtures.js';

// Short phases so random runs reach readiness, cutover (auto), resets and passes.
const policy: Policy = testPolicy({
  autoCutover: true,
  maxResets: 4,
  replication: {
    readyAfter: '5s',
    criteria: [
      { id: 'drift', metric: 'keyDrift', aggregate: 'max', window: '2s', threshold: 0 },
      { id: 'lag', metric: 'cdcLagMs', aggregate: 'p95', window: '3s', threshold: 1_000, consecutive: 2 },
    ],
  },
  soak: {
    duration: '12s',
    criteria: [
      { id: 'evictions', metric: 'targetEvictions', aggregate: 'sum', window: '3s', threshold: 0 },
      {
        id: 'errors',
        metric: 'targetErrorRate',
        aggregate: 'mean',
        window: '2s',
        threshold: 1,
        consecutive: 2,
      },
      {
        id: 'memory',
        metric: 'targetMemoryPct',
        aggregate: 'max',
        window: '2s',
        threshold: 85,
        severity: 'warn',
      },
    ],
  },
  events: { resetOn: ['ElastiCache:FailoverComplete'] },
});

const mostly = <T>(usual: T, other: fc.Arbitrary<T>, weight = 8): fc.Arbitrary<T> =>
  fc.oneof({ weight, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: other });

const noisyStep = fc.record({
  gap: mostly(1, fc.integer({ min: 2, max: 6 })),
  drift: mostly(0, fc.integer({ min: 1, max: 5 })),
  lag: mostly<number | null>(40, fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3_000 }))),
  evictions: mostly(0, fc.integer({ min: 1, max: 3 })),
  errorRate: mostly<number | null>(0, fc.constantFrom(5, 0.5, null)),
  memory: fc.integer({ min: 30, max: 95 }),
  event: fc.option(
    fc.constantFrom(
      'ElastiCache:FailoverComplete',
      'ElastiCache:SnapshotComplete',
      'CloudWatchAlarm',
      'CloudWatchAlarmOK',
    ),
    { freq: 3 },
  ),
});
const healthyStep = fc.record({
  gap: fc.constant(1),
  drift: fc.constant(0),
  lag: fc.integer({ min: 0, max: 200 }).map((n): number | null => n),
  evictions: fc.constant(0),
  errorRate: fc.constantFrom<number | null>(0, 0.2),
  memory: fc.integer({ min: 30, max: 95 }),
  event: fc.constantFrom<string | null>(null, null, null, 'CloudWatchAlarmOK'),
});
// Mostly healthy runs with trouble sprinkled in, so runs reach readiness, cutover, resets and passes.
const stepArb = fc.oneof({ weight: 15, arbitrary: healthyStep }, { weight: 1, arbitrary: noisyStep });

const scenarioArb = fc.record({
  steps: fc.array(stepArb, { minLength: 40, maxLength: 200 }),
  /** Sample index from which the applications write to the target. */
  cutAt: fc.integer({ min: 0, max: 40 }),
  /** Samples and events as the tick writes them now (`since`, notes, alarm fields), or as stored before. */
  current: fc.boolean(),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function build(sc: Scenario): { samples: JudgeSample[]; events: SoakEvent[] } {
  const samples: JudgeSample[] = [];
  const events: SoakEvent[] = [];
  let at = 0;
  sc.steps.forEach((s, i) => {
    const previous = i === 0 ? null : at;
    at += s.gap * SEC;
    const moved = i >= sc.cutAt;
    const sample: JudgeSample = {
      at,
      complete: s.lag !== null && s.errorRate !== null,
      derived: {
        keyDrift: s.drift,
        cdcLagMs: s.lag,
        legacyWriteOps: moved ? 0 : 4_000,
        targetWriteOps: 4_000,
        targetEvictions: s.evictions,
        targetErrorRate: s.errorRate,
        targetMemoryPct: s.memory,
      },
    };
    if (sc.current) {
      sample.since = previous;
      sample.notes = { targetMemoryPct: `127.0.0.1:7001 at ${s.memory} %` };
      if (s.lag === null) sample.notes.cdcLagMs = 'heartbeat not read: 127.0.0.1:7000 unreachable';
    }
    samples.push(sample);
    if (!s.event) return;
    const event: SoakEvent = {
      at: at - SEC / 2,
      type: s.event,
      source: 'cloudwatch',
      detail: 'cpu',
      id: `e${i}`,
    };
    if (sc.current && s.event.startsWith('CloudWatchAlarm')) {
      event.alarmName = 'cpu';
      event.alarmState = s.event === 'CloudWatchAlarm' ? 'ALARM' : 'OK';
      event.detail = `cpu ${event.alarmState}: threshold`;
    }
    if (sc.current && s.event.startsWith('ElastiCache:')) {
      event.source = 'elasticache';
      event.sourceId = 'acme-0001-001';
    }
    events.push(event);
  });
  return { samples, events };
}

/** Feeds each sample with the events that arrived since the previous one, as the live tick does. */
function oneByOne(samples: JudgeSample[], events: SoakEvent[]) {
  let state = initialSoakState('acme', policy, 0);
  const results: JudgeResult[] = [];
  let e = 0;
  for (const sample of samples) {
    const batch: SoakEvent[] = [];
    while (e < events.length && (events[e]?.at ?? Number.POSITIVE_INFINITY) <= sample.at)
      batch.push(events[e++] as SoakEvent);
    const r = judgeSoak(state, { now: sample.at, samples: [sample], events: batch }, policy);
    results.push(r);
    state = r.state;
  }
  return { state, results, transitions: results.flatMap((r) => r.transitions) };
}

const RUNS = { numRuns: 80 };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
const CLOCK_RESETS = new Set<Transition['kind']>(['cutover', 'reset', 'pass-revoked']);

describe('judge invariants (property tests)', () => {
  it('never passes below coverage, with missing data, or with an open critical breach', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { samples, events } = build(sc);
        const { results } = oneByOne(samples, events);
        let clockFrom = Number.NaN;
        for (const r of results) {
          for (const t of r.transitions) {
            if (CLOCK_RESETS.has(t.kind)) clockFrom = t.at;
            if (t.kind !== 'passed') continue;
            const v = r.verdict;
            expect(v.coverage).not.toBeNull();
            expect(v.coverage ?? 0).toBeGreaterThanOrEqual(policy.minCoverage);
            expect(v.criteria.filter((c) => c.status === 'nodata')).toEqual([]);
            expect(v.criteria.filter((c) => c.severity !== 'warn' && c.status !== 'ok')).toEqual([]);
            expect(v.firing.filter((c) => c.severity !== 'warn')).toEqual([]);
            // Every failover restarts the clock (one incident counts one reset, but each of its events
            // restarts the clock): the clock runs from the latest reset, cutover or failover.
            const failovers = events
              .filter((e) => e.type === 'ElastiCache:FailoverComplete' && e.at <= t.at)
              .map((e) => e.at);
            const from = Math.max(clockFrom, ...failovers);
            // Independently of the judge: enough samples since the clock last started…
            const since = samples.filter((s) => s.at > from && s.at <= t.at);
            expect(since.length * policy.sampleInterval).toBeGreaterThanOrEqual(policy.soak.duration);
            // …and the evictions window (3 s) sampled to the coverage floor (one sample may be missing:
            // the next one's delta spans the gap) and clean at the moment of the pass.
            const window = samples.filter((s) => s.at > t.at - 3 * SEC && s.at <= t.at);
            expect(window.length).toBeGreaterThanOrEqual(coverageFloor(3, policy.minCoverage));
            expect(window.every((s) => s.derived.targetEvictions === 0)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it('never loses reset history', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { samples, events } = build(sc);
        const { results } = oneByOne(samples, events);
        let before = initialSoakState('acme', policy, 0).resets;
        let counted = 0;
        for (const r of results) {
          expect(r.state.resets.slice(0, before.length)).toEqual(before);
          counted += r.transitions.filter(
            (t) => t.kind === 'reset' || t.kind === 'pass-revoked' || t.kind === 'revoked',
          ).length;
          before = r.state.resets;
        }
        expect(before).toHaveLength(counted);
        expect(results.at(-1)?.verdict.resets).toEqual(before);
      }),
      RUNS,
    );
  });

  it('gives the same verdict when the same samples are replayed', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { samples, events } = build(sc);
        const live = oneByOne(samples, events);

        const first = replayPolicy(samples, events, [], policy, 'acme', 0);
        const second = replayPolicy(samples, events, [], policy, 'acme', 0);

        expect(second).toEqual(first);
        expect(first.timeline).toEqual(live.transitions);
        expect(first.final).toEqual(live.results.at(-1)?.verdict);
      }),
      RUNS,
    );
  });

  it('reaches the same result fed in one batch as fed one sample at a time', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { samples, events } = build(sc);
        const live = oneByOne(samples, events);
        const now = samples.at(-1)?.at ?? 0;

        const batch = judgeSoak(initialSoakState('acme', policy, 0), { now, samples, events }, policy);

        expect(batch.transitions).toEqual(live.transitions);
        expect(batch.state).toEqual(live.state);
        expect(batch.verdict).toEqual(live.results.at(-1)?.verdict);
      }),
      RUNS,
    );
  });

  it('never modifies the state it is given (ticks run on deep-frozen states)', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { samples, events } = build(sc);
        const live = oneByOne(samples, events);
        let state = deepFreeze(initialSoakState('acme', policy, 0));
        let e = 0;
        for (const sample of samples) {
          const batch: SoakEvent[] = [];
          while (e < events.length && (events[e]?.at ?? Number.POSITIVE_INFINITY) <= sample.at)
            batch.push(events[e++] as SoakEvent);
          state = deepFreeze(
            judgeSoak(state, { now: sample.at, samples: [sample], events: batch }, policy).state,
          );
        }
        expect(state).toEqual(live.state);
      }),
      { numRuns: 30 },
    );
  });

  it('ignores a re-delivered batch', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { samples, events } = build(sc);
        const now = samples.at(-1)?.at ?? 0;
        const once = judgeSoak(initialSoakState('acme', policy, 0), { now, samples, events }, policy);

        const twice = judgeSoak(once.state, { now, samples, events }, policy);

        expect(twice.transitions).toEqual([]);
        expect(twice.state).toEqual(once.state);
      }),
      RUNS,
    );
  });
});
