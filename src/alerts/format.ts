import { formatDuration } from '../util/duration.js';

const SUBJECT_MAX = 100;

/** `2025-03-01 10:00:00Z`: UTC, to the second, readable on a phone. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A time and how long ago it was, relative to `now`. */
export function formatSince(since: number | null, now: number): string {
  if (since === null) return 'since: unknown';
  return `since ${formatTime(since)} (${formatDuration(Math.max(0, now - since))} ago)`;
}

/** Integers as they are, fractions to 4 significant digits; null is "no data", never 0. */
export function formatValue(value: number | null): string {
  if (value === null) return 'no data';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

export function formatCoverage(coverage: number | null): string {
  return coverage === null ? 'no data' : `${formatValue(Math.round(coverage * 1_000) / 10)}%`;
}

/**
 * SNS rejects subjects over 100 characters, with line breaks or non-printable characters:
 * keep printable ASCII only and cut with an ellipsis.
 */
export function safeSubject(text: string): string {
  const ascii = text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

/**
 * `head` followed by as many of `items` (comma separated) as fit in a subject, then `(+N more)`.
 */
export function subjectWithList(head: string, items: readonly string[], tail = ''): string {
  for (let shown = items.length; shown >= 1; shown--) {
    const more = shown < items.length ? ` (+${items.length - shown} more)` : '';
    const text = `${head}${items.slice(0, shown).join(', ')}${more}${tail}`;
    if (safeSubject(text) === text) return text;
  }
  return safeSubject(`${head}${items.length} criteria${tail}`);
}
