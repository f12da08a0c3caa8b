import { criterionWhy, type TenantStatus } from '../release/status.js';
import type { CriterionEvidence, ReplayResult, SoakStateName, Verdict } from '../soak/index.js';
import type { TickReport } from '../tick/index.js';
import { formatDuration } from '../util/duration.js';

/** Left-aligned text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '—' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // A column of numbers (some may be missing); a column of only missing values stays left-aligned.
  const numeric = headers.map(
    (_, i) =>
      rows.some((r) => typeof r[i] === 'number') &&
      rows.every((r) => typeof r[i] === 'number' || r[i] === null),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(cells[0] ?? []), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString().replace('.000Z', 'Z') : '—');
/** Values as people read them: at most 4 significant digits after the point. */
const num = (v: number | null) => (v === null ? null : Number.isInteger(v) ? v : Number(v.toPrecision(4)));
const pct = (v: number | null) => (v === null ? 'no data' : `${(v * 100).toFixed(1)}%`);

/** Per criterion, why it has no data or what its value is made of (only those with something to say). */
export function criterionNotes(criteria: readonly CriterionEvidence[]): { id: string; text: string }[] {
  return criteria.flatMap((c) => {
    const text = criterionWhy(c);
    if (!text) return [];
    const id = c.scope ? `${c.id}@${c.scope}` : c.id;
    return [{ id: c.status === 'nodata' ? `${id} (no data)` : id, text }];
  });
}

export function renderStatus(s: TenantStatus, now: number): string {
  const head = [
    `tenant ${s.tenant}: ${s.state}${s.inconclusive ? ' (INCONCLUSIVE)' : ''}${s.judged ? '' : ' (not judged yet)'}`,
    ...(s.inconclusiveReasons.length ? [`  inconclusive: ${s.inconclusiveReasons.join('; ')}`] : []),
    `  phase ${s.phase}, coverage ${pct(s.coverage)}, elapsed ${formatDuration(s.elapsedMs)} of ${formatDuration(
      s.requiredMs,
    )}, remaining ${s.remainingMs === null ? '—' : formatDuration(s.remainingMs)}`,
    `  last sample ${s.lastSample ? `${formatDuration(now - s.lastSample.at)} ago${s.lastSample.complete ? '' : ` (partial: ${s.lastSample.failedNodes.join(', ')})`}` : 'never'}`,
  ];
  if (s.spotCheck)
    head.push(
      `  spot-check: ${s.spotCheck.checked} keys checked, ${s.spotCheck.mismatches} mismatches, 95% upper bound ${
        s.spotCheck.upperBound === null ? '—' : s.spotCheck.upperBound.toExponential(2)
      }`,
    );
  const rows = s.criteria.map((c) => [
    c.id,
    c.scope ? `${c.metric}@${c.scope}` : c.metric,
    c.firing ? `${c.status} FIRING` : c.status,
    num(c.value),
    num(c.worst),
    `${c.aggregate} ${c.op} ${c.threshold}`,
    c.severity,
    c.breachCount,
  ]);
  const out = [
    ...head,
    '',
    table(['criterion', 'metric', 'status', 'value', 'worst', 'rule', 'severity', 'breaches'], rows),
  ];
  const notes = criterionNotes(s.criteria);
  if (notes.length > 0) {
    out.push('', 'why:');
    for (const n of notes) out.push(`  ${n.id}: ${n.text}`);
  }
  if (s.resets.length > 0) {
    out.push('', `resets (${s.resets.length}):`);
    for (const r of s.resets.slice(-10)) out.push(`  ${iso(r.at)}  ${r.reason}`);
  }
  return out.join('\n');
}

export function renderTick(report: TickReport): string {
  const rows = report.tenants.map((t) => [
    t.tenant,
    t.ok ? (t.skipped ? `skipped (${t.skipped})` : 'ok') : `FAILED: ${t.error ?? ''}`,
    t.state ?? null,
    t.transitions.map((x) => `${x.from}→${x.to}`).join(', ') || null,
    t.verdict?.firing.map((f) => f.id).join(', ') || null,
    t.sample
      ? `${t.sample.durationMs}ms${t.sample.complete ? '' : ` partial (${t.sample.failedNodes.join(', ')})`}`
      : null,
    t.messages,
  ]);
  return `tick at ${iso(report.at)} (${report.durationMs} ms)\n${table(
    ['tenant', 'result', 'state', 'transitions', 'firing', 'sample', 'messages'],
    rows,
  )}`;
}

/** A moment of a replay where the verdict changed: the state, inconclusiveness, or which criteria fire. */
export interface VerdictChange {
  at: number;
  state: SoakStateName;
  inconclusive: boolean;
  firing: string[];
}

/** The replayed verdicts (one per sample) reduced to the moments something changed. */
export function verdictChanges(verdicts: Verdict[]): VerdictChange[] {
  const out: VerdictChange[] = [];
  let key = '';
  for (const v of verdicts) {
    const firing = v.firing.map((f) => f.id).sort();
    const next = JSON.stringify([v.state, v.inconclusive, firing]);
    if (next === key || v.lastSampleAt === null) continue;
    key = next;
    out.push({ at: v.lastSampleAt, state: v.state, inconclusive: v.inconclusive, firing });
  }
  return out;
}

export function renderReplay(result: ReplayResult): string {
  const lines = result.timeline.map((t) => `  ${iso(t.at)}  ${t.from} → ${t.to}  (${t.kind}) ${t.reason}`);
  const changes = verdictChanges(result.verdicts).map(
    (c) =>
      `  ${iso(c.at)}  ${c.state}${c.inconclusive ? ' INCONCLUSIVE' : ''}  firing: ${c.firing.join(', ') || 'none'}`,
  );
  const refused = result.refused.map(
    (r) => `  ${iso(r.at)}  ${r.action.type} by ${r.action.actor}: ${r.reason}`,
  );
  const first = result.verdicts[0]?.lastSampleAt;
  const last = result.verdicts.at(-1)?.lastSampleAt;
  return [
    // The samples actually replayed: the store keeps only so much history, older ones are not in it.
    `replayed ${result.verdicts.length} samples${first && last ? ` from ${iso(first)} to ${iso(last)}` : ''}`,
    '',
    `timeline (${result.timeline.length} transitions):`,
    ...(lines.length ? lines : ['  (no transitions)']),
    '',
    `verdicts (${changes.length} changes over ${result.verdicts.length} samples):`,
    ...(changes.length ? changes : ['  (no samples)']),
    ...(refused.length ? ['', `refused actions (${refused.length}):`, ...refused] : []),
    '',
    `final: ${result.final.state}${result.final.inconclusive ? ' (INCONCLUSIVE)' : ''}, coverage ${pct(
      result.final.coverage,
    )}, elapsed ${formatDuration(result.final.elapsedMs)} of ${formatDuration(result.final.requiredMs)}`,
  ].join('\n');
}
