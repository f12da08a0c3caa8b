import type { Policy } from '../config/schema.js';
import { applyAction, initialSoakState, judgeSoak } from './machine.js';
import type { Action, JudgeSample, SoakEvent, SoakState, Transition, Verdict } from './types.js';
import { verdictOf } from './verdict.js';

export interface ReplayResult {
  timeline: Transition[];
  /** One verdict per replayed sample. */
  verdicts: Verdict[];
  final: Verdict;
  /** Actions the state machine refused during the replay, with the reason. */
  refused: { at: number; action: Action; reason: string }[];
  state: SoakState;
}

/**
 * Runs the judge over recorded samples, events and release-manager actions with a (possibly different)
 * policy, from a fresh state at `from` (default: the first item). Items before `from` are left out.
 */
export function replayPolicy(
  samples: JudgeSample[],
  events: SoakEvent[],
  actions: { at: number; action: Action }[],
  policy: Policy,
  tenantId: string,
  from?: number,
): ReplayResult {
  type Item =
    | { at: number; kind: 0; event: SoakEvent }
    | { at: number; kind: 1; action: Action }
    | { at: number; kind: 2; sample: JudgeSample };
  const items: Item[] = [
    ...events.map((event): Item => ({ at: event.at, kind: 0, event })),
    ...actions.map((a): Item => ({ at: a.at, kind: 1, action: a.action })),
    ...samples.map((sample): Item => ({ at: sample.at, kind: 2, sample })),
  ]
    .filter((i) => from === undefined || i.at >= from)
    // Same moment: events, then actions, then the sample (as the live system would order them).
    .sort((a, b) => a.at - b.at || a.kind - b.kind);
  const start = from ?? items[0]?.at ?? 0;
  let state = initialSoakState(tenantId, policy, start);
  const timeline: Transition[] = [];
  const verdicts: Verdict[] = [];
  const refused: ReplayResult['refused'] = [];
  let pending: SoakEvent[] = [];
  let last = start;
  const flush = (now: number): void => {
    if (pending.length === 0) return;
    const r = judgeSoak(state, { now, samples: [], events: pending }, policy);
    state = r.state;
    timeline.push(...r.transitions);
    pending = [];
  };
  for (const item of items) {
    last = Math.max(last, item.at);
    if (item.kind === 0) pending.push(item.event);
    else if (item.kind === 1) {
      flush(item.at);
      const r = applyAction(state, item.action, policy, item.at);
      if (r.ok) {
        state = r.state;
        timeline.push(r.transition);
      } else refused.push({ at: item.at, action: item.action, reason: r.reason });
    } else {
      const r = judgeSoak(state, { now: item.at, samples: [item.sample], events: pending }, policy);
      pending = [];
      state = r.state;
      timeline.push(...r.transitions);
      verdicts.push(r.verdict);
    }
  }
  flush(last);
  return { timeline, verdicts, final: verdictOf(state, policy, last), refused, state };
}
