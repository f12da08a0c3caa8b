import { METRIC_CATALOGUE, type MetricInfo } from '../metrics/index.js';

type Unit = MetricInfo['unit'];

/** The unit a metric key (`keyDrift@db3`, `cloudwatch:…`) is measured in; `count` for one not catalogued. */
export function unitOf(key: string): Unit {
  const base = key.split('@')[0] ?? key;
  return (METRIC_CATALOGUE as Record<string, MetricInfo>)[base]?.unit ?? 'count';
}

/** The axis label of a unit. */
export const UNIT_LABEL: Record<Unit, string> = {
  count: 'count',
  ratio: 'ratio',
  percent: '%',
  ms: 'ms',
  seconds: 's',
  bytes: 'bytes',
  per1000: '‰ of commands',
  perMinute: 'per minute',
};

/** A value in its unit, short enough for an axis tick or a table cell. */
export function formatValue(v: number | null, unit: Unit): string {
  if (v === null || !Number.isFinite(v)) return 'no data';
  switch (unit) {
    case 'percent':
      return `${round(v)} %`;
    case 'ms':
      return Math.abs(v) >= 10_000 ? `${round(v / 1000)} s` : `${round(v)} ms`;
    case 'seconds':
      return `${round(v)} s`;
    case 'bytes':
      return bytes(v);
    case 'ratio':
      return v !== 0 && Math.abs(v) < 0.001 ? v.toExponential(1) : String(round(v, 4));
    case 'per1000':
      return `${round(v, 3)} ‰`;
    default:
      return String(round(v));
  }
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function bytes(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1 << 30) return `${round(v / (1 << 30), 1)} GiB`;
  if (abs >= 1 << 20) return `${round(v / (1 << 20), 1)} MiB`;
  if (abs >= 1 << 10) return `${round(v / (1 << 10), 1)} KiB`;
  return `${round(v)} B`;
}
