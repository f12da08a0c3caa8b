import type { KeyDigest } from './runDigest.js';

export const MISMATCH_CLASSES = ['missing', 'extra', 'type', 'ttl', 'value'] as const;
/** missing: on legacy, not on target · extra: on target, not on legacy · type · ttl · value. */
export type MismatchClass = (typeof MISMATCH_CLASSES)[number];

export type ByClass = Record<MismatchClass, { count: number; examples: string[] }>;

/**
 * Compares one key's legacy and target observations. `null` when they agree (or both are absent).
 * TTLs agree when both have none, or both have one within `ttlToleranceMs` — or the target's ends later
 * than legacy's by at most `ttlToleranceMs + laterSlackMs`: a CDC tool that copies a key as DUMP + PTTL,
 * then RESTOREs it with that TTL, gives the copy a TTL that ends later by the copy's latency at the time,
 * for as long as the key lives (`laterSlackMs`: the highest CDC lag seen, which bounds that latency). A
 * TTL that ends earlier on the target (the data goes away too soon) or is dropped is never excused so.
 */
export function classify(
  legacy: KeyDigest,
  target: KeyDigest,
  ttlToleranceMs: number,
  laterSlackMs = 0,
): MismatchClass | null {
  if (legacy.type === 'none' && target.type === 'none') return null;
  if (legacy.type === 'none') return 'extra';
  if (target.type === 'none') return 'missing';
  if (legacy.type !== target.type) return 'type';
  if (legacy.card !== target.card || legacy.digest !== target.digest) return 'value';
  const lp = legacy.pttl;
  const tp = target.pttl;
  if (lp < 0 || tp < 0) return lp === tp ? null : 'ttl';
  if (Math.abs(lp - tp) <= ttlToleranceMs) return null;
  return tp > lp && tp - lp <= ttlToleranceMs + laterSlackMs ? null : 'ttl';
}

export function emptyByClass(): ByClass {
  return {
    missing: { count: 0, examples: [] },
    extra: { count: 0, examples: [] },
    type: { count: 0, examples: [] },
    ttl: { count: 0, examples: [] },
    value: { count: 0, examples: [] },
  };
}

/** Counts a mismatch, keeping at most `maxExamples` example keys per class. */
export function addMismatch(by: ByClass, cls: MismatchClass, key: string, maxExamples = 5): void {
  const entry = by[cls];
  entry.count++;
  if (entry.examples.length < maxExamples) entry.examples.push(key);
}

export function totalMismatches(by: ByClass): number {
  return MISMATCH_CLASSES.reduce((sum, c) => sum + by[c].count, 0);
}
