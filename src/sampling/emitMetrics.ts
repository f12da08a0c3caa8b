import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { dbOfScope, isKnownMetric, METRIC_CATALOGUE, type MetricInfo } from '../metrics/index.js';
import type { Sample } from './types.js';

type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit];

const UNITS: Record<MetricInfo['unit'], MetricUnitValue> = {
  count: MetricUnit.Count,
  ratio: MetricUnit.NoUnit,
  percent: MetricUnit.Percent,
  ms: MetricUnit.Milliseconds,
  seconds: MetricUnit.Seconds,
  bytes: MetricUnit.Bytes,
  per1000: MetricUnit.NoUnit,
  perMinute: MetricUnit.NoUnit,
};

/** The `Cluster` dimension of a metric: the cluster it describes, `both` for comparisons. */
function clusterOf(name: string): 'legacy' | 'target' | 'both' {
  if (name.startsWith('legacy')) return 'legacy';
  if (name.startsWith('target')) return 'target';
  return 'both';
}

/**
 * Publishes a sample as CloudWatch EMF: every derived metric that has a value (no data → no
 * datapoint) with dimensions Tenant and Cluster (and Db for per-db metrics), plus the sample's
 * duration and the sampler's failures per cluster. Each metric goes out as its own EMF record
 * (`singleMetric`), since the dimensions differ from metric to metric and tenant to tenant.
 */
export function emitSampleMetrics(metrics: Metrics, sample: Sample): void {
  const put = (name: string, unit: MetricUnitValue, value: number, dims: Record<string, string>) => {
    if (!Number.isFinite(value)) return;
    const single = metrics.singleMetric();
    single.addDimensions({ Tenant: sample.tenant, ...dims });
    single.addMetric(name, unit, value);
  };
  for (const [key, value] of Object.entries(sample.derived)) {
    if (value === null) continue;
    const [name = key, scope] = key.split('@');
    if (!isKnownMetric(name)) continue;
    const dims: Record<string, string> = { Cluster: clusterOf(name) };
    if (scope) dims.Db = String(dbOfScope(scope) ?? scope);
    put(name, UNITS[METRIC_CATALOGUE[name].unit], value, dims);
  }
  put('SampleDurationMs', MetricUnit.Milliseconds, sample.durationMs, { Cluster: 'both' });
  put('SampleComplete', MetricUnit.Count, sample.complete ? 1 : 0, { Cluster: 'both' });
  for (const side of ['legacy', 'target'] as const) {
    const failed = sample[side].nodes.filter((n) => !n.ok).length;
    const extra =
      side === 'legacy' ? (sample.legacy.primaryError ? 1 : 0) : sample.target.topologyError ? 1 : 0;
    put('SamplerErrors', MetricUnit.Count, failed + extra, { Cluster: side });
  }
}
