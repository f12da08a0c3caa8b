import * as z from 'zod';
import type { BinKey } from './binaryKey.js';
import { MISMATCH_CLASSES, type MismatchClass } from './classify.js';
import type { KeyPair, Observation } from './observe.js';
import type { KeyDigest } from './runDigest.js';

/**
 * The spot-check's suspects between ticks. A key that differs at its first look is not a mismatch
 * yet: a write may be in flight (made on legacy, not yet applied on the target). It is re-checked at
 * a later tick — a full interval later, far beyond any healthy CDC lag — and only then judged:
 * - agrees now → it was in flight (cleared, a checked key without mismatch);
 * - still differs, and neither side changed between the two looks → confirmed mismatch;
 * - still differs, but a side changed (a hot key, updated faster than the CDC applies it) → in flux:
 *   re-checked again at a later tick, and after MAX_FLUX_RECHECKS such re-checks dropped as unstable,
 *   never a confirmed mismatch.
 * The state is JSON-safe (keys as latin1 binary strings) and persisted by the caller (the state store).
 */

/** What one side held at one look: enough to tell whether it changed by the next look. */
const fingerprintSchema = z.object({
  type: z.string(),
  card: z.number(),
  digest: z.string(),
  /**
   * Expiry time on the host's wall clock (the look's start + PTTL), not the sampler's clock: a tick's
   * `now` may be given (replay, tests) while PTTL counts real time. Null without a TTL or when absent.
   */
  expiresAt: z.number().nullable(),
  /** How far apart the look's reads were (ms): the expiry is known to within this. */
  slackMs: z.number().nonnegative(),
});
export type Fingerprint = z.infer<typeof fingerprintSchema>;

const suspectSchema = z.object({
  db: z.number().int().nullable(),
  legacyKey: z.string(),
  targetKey: z.string(),
  /** The class of the difference at the last look. */
  cls: z.enum(MISMATCH_CLASSES),
  /** Sampler clock of the first look and of the last one. */
  firstAt: z.number(),
  at: z.number(),
  legacy: fingerprintSchema,
  target: fingerprintSchema,
  /** Members legacy probed in a big set/hash, asked again at the re-check so the digests compare. */
  probes: z.array(z.string()).optional(),
  /** Re-checks so far in which a side had changed. */
  flux: z.number().int().nonnegative(),
});
export type StoredSuspect = z.infer<typeof suspectSchema>;

export const spotCheckStateSchema = z.object({
  version: z.literal(1),
  /** Sampler clock of the tick that saved it; a tick not after it (a re-delivered tick) judges no suspect. */
  lastAt: z.number().nullable(),
  suspects: z.array(suspectSchema),
  /**
   * The highest CDC lag (ms) the spot-check has been told of while this state lived: a key copied during
   * a lag spike keeps a TTL that ends later on the target by up to that much (see `classify`). Absent in
   * states saved before it was kept.
   */
  lagPeakMs: z.number().nonnegative().optional(),
});
export type SpotCheckState = z.infer<typeof spotCheckStateSchema>;

/** Re-checks in which a side changed before a suspect is dropped as unstable. */
export const MAX_FLUX_RECHECKS = 3;
/** A suspect not judged within this long (e.g. while the CDC is stalled) is dropped, never confirmed. */
export const MAX_SUSPECT_AGE_MS = 30 * 60_000;
/** Probes of a big set/hash kept with a suspect up to this many bytes (else only its card is compared). */
const MAX_PROBE_BYTES = 4096;

export function emptySpotCheckState(): SpotCheckState {
  return { version: 1, lastAt: null, suspects: [] };
}

/** A stored state, or an empty one when there is none or it is not one (its suspects are then lost, never confirmed). */
export function parseSpotCheckState(raw: unknown): SpotCheckState {
  const parsed = spotCheckStateSchema.safeParse(raw);
  return parsed.success ? parsed.data : emptySpotCheckState();
}

/** What a side held at a look that started at `wallAt` (Date.now()) and took `spanMs`. */
export function fingerprintOf(d: KeyDigest, wallAt: number, spanMs: number): Fingerprint {
  return {
    type: d.type,
    card: d.card,
    digest: d.digest,
    expiresAt: d.pttl >= 0 ? wallAt + d.pttl : null,
    slackMs: spanMs,
  };
}

/**
 * Expiry times closer than this (beyond the looks' read spans) are the same: two ticks may run in
 * processes on hosts whose clocks differ a little. A TTL the application refreshes moves far more.
 */
export const EXPIRY_SLACK_MS = 250;

/**
 * Whether a side held the same thing at two looks: type, cardinality, value digest and expiry (the
 * same expiry time, within the two looks' read spans and EXPIRY_SLACK_MS). A probed digest of a big
 * collection compares only when both looks probed the same members (`sameProbes`).
 */
export function sameFingerprint(a: Fingerprint, b: Fingerprint, sameProbes = true): boolean {
  if (a.type !== b.type || a.card !== b.card) return false;
  // Probed digests start with `p` (the others are hex).
  const probed = a.digest.startsWith('p');
  if ((!probed || sameProbes) && a.digest !== b.digest) return false;
  if (a.expiresAt === null || b.expiresAt === null) return a.expiresAt === b.expiresAt;
  return Math.abs(a.expiresAt - b.expiresAt) <= a.slackMs + b.slackMs + EXPIRY_SLACK_MS;
}

/** A new suspect from its first look. */
export function newSuspect(
  pair: KeyPair,
  cls: MismatchClass,
  obs: Observation,
  at: number,
  wallAt: number,
): StoredSuspect {
  const probes = obs.legacy.probes;
  const probeBytes = probes.reduce((sum, p) => sum + p.length, 0);
  return {
    db: pair.db,
    legacyKey: pair.legacyKey,
    targetKey: pair.targetKey,
    cls,
    firstAt: at,
    at,
    legacy: fingerprintOf(obs.legacy, wallAt, obs.spanMs),
    target: fingerprintOf(obs.target, wallAt, obs.spanMs),
    ...(probes.length > 0 && probeBytes <= MAX_PROBE_BYTES ? { probes: [...probes] } : {}),
    flux: 0,
  };
}

export function pairOf(s: StoredSuspect): KeyPair {
  return { db: s.db, legacyKey: s.legacyKey, targetKey: s.targetKey };
}

/** Members to probe again at the re-check (none stored: a fresh random pick). */
export function probesOf(s: StoredSuspect): BinKey[] | undefined {
  return s.probes;
}

export type RecheckVerdict =
  | { kind: 'cleared' }
  | { kind: 'confirmed'; cls: MismatchClass }
  | { kind: 'flux'; suspect: StoredSuspect }
  | { kind: 'unstable' };

/**
 * Judges a suspect at its re-check: `cls` is the class of the difference now (null: the sides
 * agree), `obs` the look, started at `at` (the sampler's clock) and `wallAt` (Date.now()).
 */
export function judgeRecheck(
  s: StoredSuspect,
  cls: MismatchClass | null,
  obs: Observation,
  at: number,
  wallAt: number,
): RecheckVerdict {
  if (cls === null) return { kind: 'cleared' };
  const legacy = fingerprintOf(obs.legacy, wallAt, obs.spanMs);
  const target = fingerprintOf(obs.target, wallAt, obs.spanMs);
  const sameProbes = s.probes !== undefined;
  if (sameFingerprint(s.legacy, legacy, sameProbes) && sameFingerprint(s.target, target, sameProbes))
    return { kind: 'confirmed', cls };
  if (s.flux + 1 >= MAX_FLUX_RECHECKS) return { kind: 'unstable' };
  return { kind: 'flux', suspect: { ...s, cls, at, legacy, target, flux: s.flux + 1 } };
}
