import { describe, expect, it } from 'vitest';
import {
  dbOfScope,
  dbScope,
  isPhaseBoundDelta,
  METRIC_CATALOGUE,
  measuredOnlyIn,
  metricInfoOf,
  metricKey,
} from '../../../src/metrics/index.js';

// Contract §2: measured over the interval since the previous sample.
const DELTAS = [
  'targetEvictions',
  'targetErrorRate',
  'targetRejectedConnections',
  'targetAclDenials',
  'legacyErrorRate',
  'legacyWriteOps',
  'legacyRefusedWrites',
  'legacyCommands',
  'targetWriteOps',
  'streamRestarts',
  'targetKeysLost',
  'targetKeyLossRatio',
];

describe('METRIC_CATALOGUE', () => {
  it('gives every metric a kind, and the deltas are exactly those measured since the previous sample', () => {
    const deltas = Object.entries(METRIC_CATALOGUE)
      .filter(([, info]) => info.kind === 'delta')
      .map(([name]) => name);

    expect(deltas.sort()).toEqual([...DELTAS].sort());
    for (const info of Object.values(METRIC_CATALOGUE)) expect(['level', 'delta']).toContain(info.kind);
  });

  it('judges the lost-data deltas across a phase start, and the others only in the phase they began in', () => {
    expect(DELTAS.filter((m) => !isPhaseBoundDelta(m)).sort()).toEqual([
      'targetEvictions',
      'targetKeyLossRatio',
      'targetKeysLost',
    ]);
    expect(isPhaseBoundDelta('legacyWriteOps@db3')).toBe(true);
    expect(isPhaseBoundDelta('targetMemoryPct')).toBe(false);
    expect(isPhaseBoundDelta('cloudwatch:EngineCPUUtilization')).toBe(false);
  });

  it('registers the soak data guard per db', () => {
    expect(METRIC_CATALOGUE.targetKeysLost).toMatchObject({ unit: 'count', scope: 'db', kind: 'delta' });
    expect(METRIC_CATALOGUE.targetKeyLossRatio).toMatchObject({ unit: 'ratio', scope: 'db', kind: 'delta' });
    expect(metricInfoOf('targetKeyLossRatio@db3')).toBe(METRIC_CATALOGUE.targetKeyLossRatio);
    expect(metricInfoOf('nope')).toBeUndefined();
  });

  it('says which phase alone measures a metric key, scoped or not', () => {
    expect(measuredOnlyIn('cdcLagMs')).toBe('replication');
    expect(measuredOnlyIn(metricKey('targetKeysLost', dbScope(3)))).toBe('soak');
    expect(measuredOnlyIn('targetMemoryPct')).toBeUndefined();
    expect(measuredOnlyIn('cloudwatch:EngineCPUUtilization')).toBeUndefined();
  });

  it('reads the legacy db of a db<N> scope, and of nothing else', () => {
    expect(dbOfScope(dbScope(12))).toBe(12);
    expect(dbOfScope('db')).toBeUndefined();
    expect(dbOfScope('prefix3')).toBeUndefined();
  });
});
