export { auditOf, toAlertInput, triggersOf } from './map.js';
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
