// The release operations refuse an unconfigured tenant with the tick's error: one class, one message.
export { UnknownTenantError } from '../tick/errors.js';
export type { ActionInput, ActionOutcome } from './actions.js';
export {
  actionInputSchema,
  actorSchema,
  parseInput,
  performAction,
  reasonSchema,
} from './actions.js';
export type { CompareDeps, FullCompareOutcome, FullCompareRequest, SpotCheckOutcome } from './compare.js';
export { fullCompareTenant, recordFullCompare, spotCheckTenant } from './compare.js';
export type { InputIssue } from './errors.js';
export {
  ActionRefusedError,
  CompareNotRecordedError,
  ConcurrentChangeError,
  InvalidInputError,
  LegacyUnreachableError,
  NoHistoryError,
  ReleaseError,
  StoreRestartRefusedError,
} from './errors.js';
export type { FenceDeps, FenceOffer, FenceRecord, FenceStatus, RejectedWrite } from './fence.js';
export {
  aclRefusal,
  FENCE_DOC,
  FENCE_STATES,
  fenceLegacy,
  fenceRule,
  fenceStatus,
  planFence,
  unfenceLegacy,
} from './fence.js';
export type { TenantHistory } from './history.js';
export { loadHistory } from './history.js';
export { activeMutes, MAX_MUTE_MS, muteTenant, unmuteTenant } from './mute.js';
export type { EvidenceCheck, EvidenceReport } from './report.js';
export { canonicalJson, EVIDENCE_SCHEMA, evidenceReport } from './report.js';
export type { TenantStatus, TenantView } from './status.js';
export { allowedActions, criterionWhy, getStatus, inconclusiveReasonsOf, listStatuses } from './status.js';
export type { StoreRestartOutcome } from './storeRestart.js';
export { restartStoreAfterLoss, STORE_RESTART_ACTION } from './storeRestart.js';
export type { ReleaseDeps, StatusDeps } from './types.js';
