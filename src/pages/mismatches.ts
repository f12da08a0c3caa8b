import {
  dbLabel,
  describeMismatches,
  KIND_LABELS,
  MISMATCH_KINDS,
  type MismatchSummary,
  TTL_CLASSES,
  TTL_LABELS,
} from '../metrics/index.js';
import type { CriterionEvidence } from '../soak/index.js';
import { esc } from './escape.js';

/**
 * The row under a spot-check criterion of the tenant page: its window's confirmed mismatches, the
 * finding in words (`describeMismatches`, the alert's line) and small tables by pattern, TTL class, kind
 * and type. Empty when the criterion has none.
 */
export function mismatchRow(c: Pick<CriterionEvidence, 'id' | 'mismatches'>, columns: number): string {
  const s = c.mismatches;
  if (!s) return '';
  return `<tr class="mismatches" data-mismatches="${esc(c.id)}"><td colspan="${columns}"><p>${esc(describeMismatches(s))}</p>${table(
    'pattern',
    [
      ...s.byPattern.top.map((e) => [`${dbLabel(e.db)} ${e.pattern}`, e.count] as const),
      ...other(s.byPattern.other),
    ],
  )}${table(
    'TTL',
    TTL_CLASSES.flatMap((k) => (s.byTtl[k] ? [[TTL_LABELS[k], s.byTtl[k]] as const] : [])),
  )}${table(
    'kind',
    MISMATCH_KINDS.flatMap((k) => (s.byKind[k] ? [[KIND_LABELS[k], s.byKind[k]] as const] : [])),
  )}${table('type (legacy → target)', typeRows(s))}</td></tr>`;
}

function other(count: number): (readonly [string, number])[] {
  return count > 0 ? [['other', count]] : [];
}

function typeRows(s: MismatchSummary): (readonly [string, number])[] {
  return [
    ...s.byType.top.map((e) => [`${e.legacy} → ${e.target}`, e.count] as const),
    ...other(s.byType.other),
  ];
}

function table(head: string, rows: readonly (readonly [string, number])[]): string {
  const body = rows.map(([k, n]) => `<tr><td>${esc(k)}</td><td>${esc(n)}</td></tr>`).join('');
  return `<table class="mismatch-summary"><thead><tr><th>${esc(head)}</th><th>mismatches</th></tr></thead><tbody>${body}</tbody></table>`;
}
