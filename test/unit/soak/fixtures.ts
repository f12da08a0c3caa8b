import type { z } from 'zod';
import { type Policy, policySchema } from '../../../src/config/schema.js';
import type { DerivedMetrics, MismatchSummary } from '../../../src/metrics/index.js';
import {
  type Action,
  applyAction,
  initialSoakState,
  type JudgeResult,
  type JudgeSample,
  judgeSoak,
  type SoakEvent,
  type SoakState,
  type Transition,
} from '../../../src/soak/index.js';

export const SEC = 1_000;

type PolicyInput = z.input<typeof policySchema>;

/** Replication criteria of the compressed test policy (1 s samples). */
export const REPLICATION_CRITERIA: NonNullable<PolicyInput['replication']>['criteria'] = [
  { id: 'drift', metric: 'keyDrift', aggregate: 'max', window: '3s', threshold: 0 },
  { id: 'lag', metric: 'cdcLagMs', aggregate: 'p95', window: '5s', threshold: 1_000, consecutive: 2 },
];

/** Soak criteria of the compressed test policy. */
export const SOAK_CRITERIA: NonNullable<PolicyInput['soak']>['criteria'] = [
  { id: 'evictions', metric: 'targetEvictions', aggregate: 'sum', window: '3s', threshold: 0 },
  { id: 'legacy-writes', metric: 'legacyWriteOps', aggregate: 'sum', window: '3s', threshold: 0 },
  { id: 'errors', metric: 'targetErrorRate', aggregate: 'mean', window: '3s', threshold: 1, consecutive: 3 },
  {
    id: 'memory',
    metric: 'targetMemoryPct',
    aggregate: 'max',
    window: '3s',
    threshold: 85,
    severity: 'warn',
  },
  {
    id: 'memory-full',
    metric: 'targetMemoryPct',
    aggregate: 'last',
    window: '1s',
    threshold: 99,
    severity: 'fatal',
  },
];

/** A policy with durations in seconds, so a whole migration runs in a test. */
export function testPolicy(over: Partial<PolicyInput> = {}): Policy {
  return policySchema.parse({
    sampleInterval: '1s',
    minCoverage: 0.95,
    maxResets: 2,
    replication: { readyAfter: '10s', criteria: REPLICATION_CRITERIA },
    soak: { duration: '30s', criteria: SOAK_CRITERIA },
    events: { resetOn: ['ElastiCache:FailoverComplete'] },
    ...over,
  });
}

export const HEALTHY_REPLICATION: DerivedMetrics = {
  keyDrift: 0,
  cdcLagMs: 40,
  legacyWriteOps: 5_000,
  targetWriteOps: 5_000,
};
export const HEALTHY_SOAK: DerivedMetrics = {
  targetEvictions: 0,
  legacyWriteOps: 0,
  targetErrorRate: 0,
  targetMemoryPct: 40,
  targetWriteOps: 5_000,
};

/** Drives the judge one tick at a time with an explicit clock and keeps every transition. */
export class Sim {
  state: SoakState;
  transitions: Transition[] = [];
  last: JudgeResult | undefined;

  constructor(
    readonly policy: Policy,
    start = 0,
    tenant = 'acme',
  ) {
    this.state = initialSoakState(tenant, policy, start);
  }

  /** One sample at `at` (and the events that arrived with it). */
  tick(
    at: number,
    derived: DerivedMetrics,
    opts: {
      complete?: boolean;
      events?: SoakEvent[];
      since?: number | null;
      notes?: Record<string, string>;
      mismatches?: MismatchSummary;
    } = {},
  ): JudgeResult {
    const sample: JudgeSample = { at, derived, complete: opts.complete ?? true };
    if (opts.since !== undefined) sample.since = opts.since;
    if (opts.notes !== undefined) sample.notes = opts.notes;
    if (opts.mismatches !== undefined) sample.mismatches = opts.mismatches;
    const r = judgeSoak(this.state, { now: at, samples: [sample], events: opts.events ?? [] }, this.policy);
    this.state = r.state;
    this.transitions.push(...r.transitions);
    this.last = r;
    return r;
  }

  /** Samples every `step` (a second unless told) from `from` to `to` inclusive. */
  run(
    from: number,
    to: number,
    derived: DerivedMetrics | ((at: number) => DerivedMetrics),
    step = SEC,
  ): JudgeResult | undefined {
    for (let at = from; at <= to; at += step)
      this.tick(at, typeof derived === 'function' ? derived(at) : derived);
    return this.last;
  }

  events(now: number, events: SoakEvent[]): JudgeResult {
    const r = judgeSoak(this.state, { now, samples: [], events }, this.policy);
    this.state = r.state;
    this.transitions.push(...r.transitions);
    this.last = r;
    return r;
  }

  act(at: number, action: Action): Transition {
    const r = applyAction(this.state, action, this.policy, at);
    if (!r.ok) throw new Error(`action refused: ${r.reason}`);
    this.state = r.state;
    this.transitions.push(r.transition);
    return r.transition;
  }

  /** Replication until CUTOVER_READY, then a cutover at `at`. */
  readyAndCutover(at = 12 * SEC): void {
    this.run(SEC, at - SEC, HEALTHY_REPLICATION);
    if (this.state.state !== 'CUTOVER_READY') throw new Error(`not ready: ${this.state.state}`);
    this.act(at, { type: 'cutover', actor: 'rm', reason: 'window' });
  }

  kinds(): string[] {
    return this.transitions.map((t) => t.kind);
  }
}
