import { describe, expect, it } from 'vitest';
import { deriveMetrics, parseSample, type Sample } from '../../../src/sampling/index.js';
import { inProgress, node, own, tenant } from './fixtures.js';

describe('parseSample', () => {
  it('accepts a sample that went through JSON', () => {
    const p = inProgress(
      [
        node('legacy', '10.0.0.1:6379', {
          own: { atInfo: own(1), atEnd: own(2) },
          keyspace: { 0: { keys: 1, expires: 0 } },
        }),
      ],
      [node('target', '10.1.0.1:6379')],
    );
    const { keys, derived, notes } = deriveMetrics(p, undefined, tenant());
    const sample: Sample = { ...p, since: null, keys, derived, notes, complete: true };

    const back = parseSample(JSON.parse(JSON.stringify(sample)));

    expect(back).toEqual(JSON.parse(JSON.stringify(sample)));
  });

  it('reads a sample stored before notes and since existed, with no previous and no notes', () => {
    const p = inProgress([node('legacy', '10.0.0.1:6379')], [node('target', '10.1.0.1:6379')]);
    const { keys, derived } = deriveMetrics(p, undefined, tenant());
    const stored = JSON.parse(JSON.stringify({ ...p, keys, derived, complete: true }));

    const back = parseSample(stored);

    expect(back?.since).toBeNull();
    expect(back?.notes).toEqual({});
    expect(back?.derived).toEqual(stored.derived);
  });

  it('refuses a record that is not a sample', () => {
    expect(parseSample({ tenant: 'acme', at: 'yesterday' })).toBeUndefined();
    expect(parseSample(null)).toBeUndefined();
  });
});
