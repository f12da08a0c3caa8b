import type { LoadStats } from './load.js';
import type { TickRecord } from './ticker.js';

/** The metrics that say how far the target is from legacy (all scopes). */
export const DRIFT_METRIC =
  /^(keyDrift|keyDriftRatio|persistentKeyDrift|persistentKeyDriftRatio|targetKeysLost|targetKeyLossRatio|spotCheckMismatches)(@db\d+)?$/;

export interface ScenarioSummary {
  name: string;
  ticks: number;
  okTicks: number;
  skipped: number;
  errors: string[];
  wallP50: number | null;
  wallP99: number | null;
  sampleP50: number | null;
  sampleP99: number | null;
  states: string;
  onCall: { subject: string; at: number }[];
  /** Criteria that fired at some tick, with the first tick index. */
  fired: Record<string, number>;
  /** Worst value of each drift metric over the run (legacy-vs-target drift: replication ticks only). */
  worstDrift: Record<string, number>;
  load?: LoadStats;
}

/** Nearest-rank percentile; null without values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? null;
}

/** States over the ticks, runs collapsed: `REPLICATING×12 → CUTOVER_READY×3`. */
export function stateRuns(records: readonly TickRecord[]): string {
  const runs: { state: string; n: number }[] = [];
  for (const r of records) {
    const state = r.state ?? (r.skipped ? `(${r.skipped})` : r.error ? '(error)' : '?');
    const last = runs.at(-1);
    if (last && last.state === state) last.n++;
    else runs.push({ state, n: 1 });
  }
  return runs.map((r) => `${r.state}×${r.n}`).join(' → ');
}

export function summarize(name: string, records: readonly TickRecord[], load?: LoadStats): ScenarioSummary {
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const walls = sorted.filter((r) => !r.skipped).map((r) => r.wallMs);
  const samples = sorted.flatMap((r) => (r.sample ? [r.sample.durationMs] : []));
  const fired: Record<string, number> = {};
  const worstDrift: Record<string, number> = {};
  for (const r of sorted) {
    for (const id of r.firing) if (!(id in fired)) fired[id] = r.index;
    // Legacy is left alone after the cutover: key drift against it only means something before.
    const replicating = r.state === 'REPLICATING' || r.state === 'CUTOVER_READY';
    for (const [key, value] of Object.entries(r.derived ?? {})) {
      if (value === null || !DRIFT_METRIC.test(key)) continue;
      if (!replicating && !key.startsWith('targetKey')) continue;
      worstDrift[key] = Math.max(worstDrift[key] ?? Number.NEGATIVE_INFINITY, value);
    }
  }
  return {
    name,
    ticks: sorted.length,
    okTicks: sorted.filter((r) => r.ok && !r.skipped).length,
    skipped: sorted.filter((r) => r.skipped).length,
    errors: [...new Set(sorted.flatMap((r) => (r.error ? [r.error] : [])))],
    wallP50: percentile(walls, 50),
    wallP99: percentile(walls, 99),
    sampleP50: percentile(samples, 50),
    sampleP99: percentile(samples, 99),
    states: stateRuns(sorted),
    onCall: sorted.flatMap((r) => r.onCall.map((m) => ({ subject: m.subject, at: r.index }))),
    fired,
    worstDrift,
    ...(load ? { load } : {}),
  };
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3);

/** The summary as a few readable lines (printed by every scenario test). */
export function formatSummary(s: ScenarioSummary): string {
  const lines = [
    `── scenario ${s.name}: ${s.ticks} ticks (${s.okTicks} ok, ${s.skipped} skipped${s.errors.length ? `, errors: ${s.errors.join('; ')}` : ''})`,
    `   tick wall p50 ${s.wallP50 ?? '-'} ms, p99 ${s.wallP99 ?? '-'} ms; sample p50 ${s.sampleP50 ?? '-'} ms, p99 ${s.sampleP99 ?? '-'} ms`,
    `   states: ${s.states}`,
    `   on-call messages: ${s.onCall.length}${s.onCall.length ? ` — ${s.onCall.map((m) => `#${m.at} ${m.subject}`).join(' | ')}` : ''}`,
    `   fired: ${
      Object.entries(s.fired)
        .map(([id, i]) => `${id}@#${i}`)
        .join(', ') || 'nothing'
    }`,
    `   worst drift: ${
      Object.entries(s.worstDrift)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${fmt(v)}`)
        .join(', ') || 'no data'
    }`,
  ];
  if (s.load)
    lines.push(
      `   load: ${fmt(s.load.opsPerSec)} writes/s (${fmt(s.load.commandsPerSec)} commands/s, ${s.load.ops} ops, ${s.load.errors} errors${s.load.lastError ? `: ${s.load.lastError}` : ''})`,
    );
  return lines.join('\n');
}

/** One line per tick, for the log of a failing scenario. */
export function formatTicks(records: readonly TickRecord[]): string {
  return [...records]
    .sort((a, b) => a.index - b.index)
    .map((r) => {
      const bad = r.criteria
        .filter((c) => c.status !== 'ok')
        .map(
          (c) =>
            `${c.id}:${c.status}${c.value !== null ? `=${fmt(c.value)}` : ''}${c.cause ? `(${c.cause})` : ''}`,
        );
      return `   #${r.index} +${r.startedAt - (records[0]?.scheduledAt ?? r.startedAt)}ms ${r.wallMs}ms ${r.state ?? r.skipped ?? r.error ?? '?'} firing[${r.firing.join(',')}] ${bad.join(' ')}${r.onCall.length ? ` PAGE(${r.onCall.length})` : ''}${r.transitions.length ? ` ${r.transitions.join(',')}` : ''}`;
    })
    .join('\n');
}
