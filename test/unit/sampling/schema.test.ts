import { describe, expect, it } from 'vitest';
import { summarizeMismatches } from '../../../src/metrics/index.js';
import { deriveMetrics, parseSample, type Sample, spotCheckSummaryOf } from '../../../src/sampling/index.js';
import { sessionKeyMissing } from '../../support/mismatches.js';
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

describe('spotCheckSummaryOf', () => {
  const summary = summarizeMismatches([sessionKeyMissing()]);

  it("reads the summary a stored sample's spot-check carries, and nothing from one that is not a summary", () => {
    const p = inProgress([node('legacy', '10.0.0.1:6379')], [node('target', '10.1.0.1:6379')]);
    const { keys, derived, notes } = deriveMetrics(p, undefined, tenant());
    const sample: Sample = {
      ...p,
      since: null,
      keys,
      derived,
      notes,
      complete: true,
      checks: { spotCheck: { checked: 10, mismatches: 1, summary } },
    };
    const back = parseSample(JSON.parse(JSON.stringify(sample)));
    expect(back && spotCheckSummaryOf(back)).toEqual(summary);
    // A damaged summary is no summary, and the sample is still good (its rates are computed).
    const damaged = parseSample(
      JSON.parse(
        JSON.stringify({ ...sample, checks: { spotCheck: { summary: { ...summary, total: 'many' } } } }),
      ),
    );
    expect(damaged).toBeDefined();
    expect(damaged && spotCheckSummaryOf(damaged)).toBeUndefined();
    expect(spotCheckSummaryOf({})).toBeUndefined();
  });
});
