export type { BinKey } from './binaryKey.js';
export { binFromBuffer, binFromText, binToBuffer, binToText } from './binaryKey.js';
export type { ByClass, MismatchClass } from './classify.js';
export { addMismatch, classify, emptyByClass, MISMATCH_CLASSES, totalMismatches } from './classify.js';
export { describeMismatch } from './descriptor.js';
export { DIGEST_LUA, DIGEST_SHA } from './digestScript.js';
export { ConsistencyError, ConsistencyInputError, DigestError } from './errors.js';
export type { FullCompareCursor, FullCompareOptions, FullCompareResult } from './fullCompare.js';
export { fullCompare, fullCompareCursorSchema, newFullCompareCursor } from './fullCompare.js';
export type { KeyMapper } from './keyMap.js';
export { keyMapper } from './keyMap.js';
export { keyPattern, patternOfText } from './keyPattern.js';
export type {
  BoundedObservations,
  CompareOutcome,
  KeyPair,
  Observation,
  RecheckOptions,
  Sides,
  Suspect,
} from './observe.js';
export {
  compareWithRechecks,
  confirmSuspects,
  emptyOutcome,
  findSuspects,
  observe,
  observeWithin,
} from './observe.js';
export type { CompareProgress } from './progress.js';
export { formatEta, renderProgress } from './progress.js';
export { allocateDraws, drawTarget, randomDraws, randomKeysOf, randomTargetKeys } from './randomKeys.js';
export type { DigestOptions, DigestRequest, DigestStats, KeyDigest } from './runDigest.js';
export { newDigestStats, runDigest } from './runDigest.js';
export type {
  CdcProgress,
  SpotCheckOptions,
  SpotCheckResult,
  SpotCheckTickOptions,
  SpotCheckTickResult,
} from './spotCheck.js';
export { SpotCheckTick, spotCheck, spotCheckTick } from './spotCheck.js';
export type { Fingerprint, RecheckVerdict, SpotCheckState, StoredSuspect } from './suspects.js';
export {
  emptySpotCheckState,
  fingerprintOf,
  judgeRecheck,
  MAX_FLUX_RECHECKS,
  MAX_SUSPECT_AGE_MS,
  newSuspect,
  parseSpotCheckState,
  sameFingerprint,
  spotCheckStateSchema,
} from './suspects.js';
export type { Target } from './targetRoute.js';
export { digestOnTarget, groupByMaster, mastersOf } from './targetRoute.js';
