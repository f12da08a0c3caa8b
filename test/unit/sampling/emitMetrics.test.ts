import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { emitSampleMetrics, type Sample } from '../../../src/sampling/index.js';

function recorder() {
  const emitted: { name: string; unit: string; value: number; dims: Record<string, string> }[] = [];
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'soakwatch' });
  vi.spyOn(metrics, 'singleMetric').mockImplementation(() => {
    const dims: Record<string, string> = {};
    const single = {
      addDimensions: (d: Record<string, string>) => {
        Object.assign(dims, d);
        return single;
      },
      addMetric: (name: string, unit: string, value: number) => {
        emitted.push({ name, unit, value, dims: { ...dims } });
        return single;
      },
    };
    return single as unknown as Metrics;
  });
  return { metrics, emitted };
}

const sample: Sample = {
  tenant: 'acme',
  at: 0,
  since: null,
  notes: {},
  durationMs: 7,
  legacy: { primary: 'l:1', nodes: [], cdcLinks: [] },
  target: {
    nodes: [
      { side: 'target', address: 't:1', role: 'master', ok: false, error: 'x', durationMs: 1, keyspace: {} },
    ],
  },
  keys: {},
  complete: false,
  derived: {
    targetMemoryPct: 42,
    legacyAppClients: null,
    'keyDrift@db3': 5,
    keyDrift: 5,
    notACatalogueMetric: 1,
  },
};

describe('emitSampleMetrics', () => {
  it('emits each metric with a value under Tenant and Cluster, per-db ones with Db, and nothing for no data', () => {
    const { metrics, emitted } = recorder();

    emitSampleMetrics(metrics, sample);

    expect(emitted).toContainEqual({
      name: 'targetMemoryPct',
      unit: 'Percent',
      value: 42,
      dims: { Tenant: 'acme', Cluster: 'target' },
    });
    expect(emitted).toContainEqual({
      name: 'keyDrift',
      unit: 'Count',
      value: 5,
      dims: { Tenant: 'acme', Cluster: 'both', Db: '3' },
    });
    expect(emitted).toContainEqual({
      name: 'keyDrift',
      unit: 'Count',
      value: 5,
      dims: { Tenant: 'acme', Cluster: 'both' },
    });
    expect(emitted.map((e) => e.name)).not.toContain('legacyAppClients');
    expect(emitted.map((e) => e.name)).not.toContain('notACatalogueMetric');
  });

  it('emits the sample duration and the sampler errors per cluster', () => {
    const { metrics, emitted } = recorder();

    emitSampleMetrics(metrics, sample);

    expect(emitted).toContainEqual({
      name: 'SampleDurationMs',
      unit: 'Milliseconds',
      value: 7,
      dims: { Tenant: 'acme', Cluster: 'both' },
    });
    expect(emitted).toContainEqual({
      name: 'SamplerErrors',
      unit: 'Count',
      value: 1,
      dims: { Tenant: 'acme', Cluster: 'target' },
    });
    expect(emitted).toContainEqual({
      name: 'SamplerErrors',
      unit: 'Count',
      value: 0,
      dims: { Tenant: 'acme', Cluster: 'legacy' },
    });
    expect(emitted).toContainEqual({
      name: 'SampleComplete',
      unit: 'Count',
      value: 0,
      dims: { Tenant: 'acme', Cluster: 'both' },
    });
  });
});
