export { describeAction, describeUrl } from './describe.js';
export { HookError } from './errors.js';
export type { HookClients, HookRunner, HookRunnerDeps, HookStateStore } from './lifecycle.js';
export { createHookRunner } from './lifecycle.js';
export { planHooks, updateCooldowns } from './plan.js';
export { runHooks } from './run.js';
export type { VerifyWebhookInput } from './signature.js';
export { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, verifyWebhookSignature } from './signature.js';
export type { TriggerInput } from './triggers.js';
export { hookTriggers } from './triggers.js';
export type {
  HookAuditEntry,
  HookContext,
  HookDeps,
  HookPayload,
  HookResult,
  HookStatus,
  HookTrigger,
  PlannedHook,
  ReplicationGroupShape,
} from './types.js';
