/** Progress of a full compare. */
export interface CompareProgress {
  scanned: number;
  /** Keys expected in total (legacy DBSIZE of the dbs + target DBSIZE); null when unknown. */
  total: number | null;
  mismatches: number;
  /** Estimated time left at the current rate; null before a rate is known. */
  etaMs: number | null;
}

/** `1h 02m`, `3m 05s`, `12s`. */
export function formatEta(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/**
 * One line of at most `width` characters: a bar, the percentage, keys scanned, mismatches and ETA
 * (`--` while unknown).
 */
export function renderProgress(p: CompareProgress, width: number): string {
  const ratio = p.total && p.total > 0 ? Math.min(1, p.scanned / p.total) : null;
  const pct = ratio === null ? '  ?.?%' : `${(ratio * 100).toFixed(1).padStart(5)}%`;
  const keys = p.total === null ? `${p.scanned} keys` : `${p.scanned}/${p.total} keys`;
  const eta = p.etaMs === null ? 'ETA --' : `ETA ${formatEta(p.etaMs)}`;
  const text = ` ${pct} ${keys} · ${p.mismatches} mismatches · ${eta}`;
  const barWidth = Math.max(0, width - text.length - 2);
  if (barWidth < 5) return `${pct.trim()} ${eta}`.slice(0, Math.max(0, width));
  const filled = ratio === null ? 0 : Math.round(ratio * barWidth);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${text}`;
}
