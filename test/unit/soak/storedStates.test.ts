import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verdictOf } from '../../../src/soak/index.js';
import { type Recorded, runSteps, SCENARIOS, storedAfterBefore } from './storedStates.scenarios.js';

const recorded = JSON.parse(readFileSync(new URL('./storedStates.pre-i8.json', import.meta.url), 'utf8')) as {
  judge: string;
  scenarios: Recorded[];
};

// Fields transitions gained in issue 8 (the judge before it did not write them).
const NEW_TRANSITION_FIELDS = ['forced', 'actorReason'];

/** A copy without the fields the judge of issue 8 added to transitions, to compare with what the older judge wrote. */
function asBefore<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), function (key, v) {
    if (NEW_TRANSITION_FIELDS.includes(key) && this && typeof this === 'object' && 'kind' in this)
      return undefined;
    return v;
  }) as T;
}

describe('soak states stored before issue 8', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s: load and judge the same', (name, scenario) => {
    const before = recorded.scenarios.find((r) => r.name === name);
    if (!before) throw new Error(`no recording for ${name}`);

    const { state, outcomes } = runSteps(before.stored, scenario.after, scenario.policy);
    const last = scenario.after.at(-1)?.at ?? 0;

    expect(asBefore(outcomes)).toEqual(before.outcomes);
    expect(asBefore(state)).toEqual(before.final.state);
    expect(asBefore(verdictOf(state, scenario.policy, last))).toEqual(before.final.verdict);
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s: is written as before', (name, scenario) => {
    const before = recorded.scenarios.find((r) => r.name === name);

    expect(asBefore(storedAfterBefore(scenario))).toEqual(before?.stored);
  });
});
