export type { CollectorDeps } from './collect.js';
export { createCollector } from './collect.js';
export { TickError, UnknownTenantError } from './errors.js';
export type { FutureSample } from './futureSamples.js';
export { describeFutureSample, findFutureSample } from './futureSamples.js';
export type { AlertContext } from './map.js';
export {
  auditOf,
  FUTURE_SAMPLE_ALERT_ID,
  futureSampleAlertInput,
  toAlertInput,
  triggersOf,
} from './map.js';
export { sendAlerts } from './notify.js';
export { runTick } from './runTick.js';
export { STORE_LOST_ALERT_ID, storeLostAlertInput } from './storeLoss.js';
export type { LoadedState } from './tenants.js';
export { findTenant, loadSoakState, summarizeSample, unreadNodes } from './tenants.js';
export { sampleRetentionMs, tickTenant } from './tickTenant.js';
export type {
  HookOutcome,
  Log,
  Phase,
  SampleSummary,
  TenantTickReport,
  TickDeps,
  TickReport,
} from './types.js';
