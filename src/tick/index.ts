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
export { runTick, TickError, UnknownTenantError } from './runTick.js';
export { sampleRetentionMs, tickTenant } from './tickTenant.js';
export type {
  HookOutcome,
  Log,
  Phase,
  TenantTickReport,
  TickDeps,
  TickReport,
} from './types.js';
