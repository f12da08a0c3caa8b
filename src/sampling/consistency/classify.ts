import type { KeyDigest } from './runDigest.js';

export const MISMATCH_CLASSES = ['missing', 'extra', 'type', 'ttl', 'value'] as const;
/** missing: on legacy, not on target · extra: on target, not on legacy · type · ttl · value. */
export type MismatchClass = (typeof MISMATCH_CLASSES)[number];

export type ByClass = Record<MismatchClass, { count: number; examples: string[] }>;

/**
 * Compares one key's legacy and target observations. `null` when they agree (or both are absent).
 * TTLs agree when both have none, or both have one within `ttlToleranceMs`.
 */
export function classify(legacy: KeyDigest, target: KeyDigest, ttlToleranceMs: number): MismatchClass | null {
  if (legacy.type === 'none' && target.type === 'none') return null;
  if (legacy.type === 'none') return 'extra';
  if (target.type === 'none') return 'missing';
  if (legacy.type !== target.type) return 'type';
  if (legacy.card !== target.card || legacy.digest !== target.digest) return 'value';
  const lp = legacy.pttl;
  const tp = target.pttl;
  if (lp < 0 || tp < 0) return lp === tp ? null : 'ttl';
  return Math.abs(lp - tp) <= ttlToleranceMs ? null : 'ttl';
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
