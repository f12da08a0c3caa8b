export type { SamplingCache } from './cache.js';
export { createSamplingCache } from './cache.js';
export type { CollectDeps } from './collectSample.js';
export { carriedMemory, collectSample, REPLICA_MEMORY } from './collectSample.js';
export type {
  BinKey,
  ByClass,
  CompareOutcome,
  CompareProgress,
  DigestOptions,
  DigestRequest,
  DigestStats,
  FullCompareCursor,
  FullCompareOptions,
  FullCompareResult,
  KeyDigest,
  KeyMapper,
  KeyPair,
  MismatchClass,
  Observation,
  RecheckOptions,
  Sides,
  SpotCheckOptions,
  SpotCheckResult,
  SpotCheckState,
  SpotCheckTickOptions,
  SpotCheckTickResult,
  Suspect,
  Target,
} from './consistency/index.js';
export {
  addMismatch,
  allocateDraws,
  binFromBuffer,
  binFromText,
  binToBuffer,
  binToText,
  ConsistencyError,
  ConsistencyInputError,
  classify,
  compareWithRechecks,
  confirmSuspects,
  DIGEST_LUA,
  DIGEST_SHA,
  DigestError,
  digestOnTarget,
  drawTarget,
  emptyByClass,
  emptyOutcome,
  findSuspects,
  formatEta,
  fullCompare,
  fullCompareCursorSchema,
  groupByMaster,
  keyMapper,
  MISMATCH_CLASSES,
  mastersOf,
  newDigestStats,
  newFullCompareCursor,
  observe,
  observeWithin,
  parseSpotCheckState,
  randomDraws,
  randomKeysOf,
  randomTargetKeys,
  renderProgress,
  runDigest,
  spotCheck,
  spotCheckStateSchema,
  spotCheckTick,
  totalMismatches,
} from './consistency/index.js';
export type { DeriveInputs, SampleInProgress } from './derive.js';
export { cdcLinks, deriveMetrics, ERROR_RATE_MIN_COMMANDS, isCdcAddress, ownDelta } from './derive.js';
export { emitSampleMetrics } from './emitMetrics.js';
export { SampleError } from './errors.js';
export type { HeartbeatOptions, HeartbeatResult, HeartbeatWrite } from './heartbeat.js';
export { HeartbeatError, heartbeat, parseHeartbeat, respBytes } from './heartbeat.js';
export { FLUSH_COMMANDS, KEY_REMOVING_COMMANDS } from './keyRemovals.js';
export type { PersistenceFlag, PersistentFlagsOptions } from './persistentFlags.js';
export {
  PERSISTENT_FLAGS_LUA,
  PERSISTENT_FLAGS_SHA,
  parseFlagsReply,
  persistentFlags,
} from './persistentFlags.js';
export type {
  DrawHits,
  Estimate,
  PrefixCount,
  PrefixCounter,
  PrefixCounterOptions,
  PrefixScanState,
  PrefixTickResult,
  ScannedKey,
} from './prefixCounts.js';
export {
  applyScanPage,
  classifyOnNode,
  createPrefixCounter,
  emptyPrefixState,
  ensurePass,
  estimateBuckets,
  estimateCount,
  OTHER,
  parsePrefixState,
  prefixClassifier,
  prefixScanStateSchema,
} from './prefixCounts.js';
export type { PrefixPassInput } from './prefixPass.js';
export type { ReadNodeOptions } from './readNode.js';
export { INFO_SECTIONS, parseClientList, readNode, toNodeSample } from './readNode.js';
export type { ReplicationChecksOptions } from './replicationChecks.js';
export { heartbeatKey, runReplicationChecks } from './replicationChecks.js';
export { parseSample, sampleSchema, spotCheckSummaryOf } from './schema.js';
export type { CdcLink, ClusterSide, NodeSample, Sample } from './types.js';
