import type { NodeSample } from './types.js';

/** A derived value and, for people, why it is `null` or what it is made of. */
export interface Measured {
  value: number | null;
  note?: string;
}

/** Why a node's numbers are missing: `127.0.0.1:7003 unreachable: no answer within the sample budget`. */
export function unreachable(n: NodeSample): string {
  const why = n.error ?? 'failed';
  // Connection errors often start with the address already.
  return why.startsWith(`${n.address}`) ? why : `${n.address} unreachable: ${why}`;
}

/** Distinct causes joined into one sentence, the first few named. */
export function joinCauses(causes: readonly string[], max = 3): string {
  const distinct = [...new Set(causes)];
  const shown = distinct.slice(0, max).join('; ');
  return distinct.length > max ? `${shown}; and ${distinct.length - max} more` : shown;
}

/** `12,345` (no locale surprises in tests or logs). */
export function fmt(n: number, digits = 0): string {
  const fixed = Math.abs(n).toFixed(digits);
  const [int = '0', frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/** A ratio as a percentage for notes: `0.42 %`. */
export function pct(ratio: number): string {
  const p = ratio * 100;
  return `${p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)} %`;
}
