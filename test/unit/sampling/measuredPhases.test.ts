import { describe, expect, it } from 'vitest';
import { METRIC_CATALOGUE, type Phase } from '../../../src/metrics/index.js';
import { deriveMetrics } from '../../../src/sampling/index.js';
import { inProgress, node, tenant } from './fixtures.js';

const OTHER: Record<Phase, Phase> = { replication: 'soak', soak: 'replication' };

/** The catalogue metrics the sampler leaves without data in `phase` because another phase measures them. */
function notMeasuredIn(phase: Phase): string[] {
  const sample = inProgress([node('legacy', '10.0.0.1:6379')], [node('target', '10.1.0.1:6379')]);
  const { derived, notes } = deriveMetrics(sample, undefined, tenant(), { phase });
  return Object.keys(METRIC_CATALOGUE).filter(
    (name) => derived[name] === null && notes[name]?.startsWith('measured only'),
  );
}

describe('the phase the catalogue gives a metric', () => {
  it.each(['replication', 'soak'] as const)(
    'is %s for exactly the metrics the sampler measures only then',
    (phase) => {
      const declared = Object.entries(METRIC_CATALOGUE)
        .filter(([, info]) => 'phase' in info && info.phase === phase)
        .map(([name]) => name);

      expect(notMeasuredIn(OTHER[phase]).sort()).toEqual(declared.sort());
    },
  );
});
