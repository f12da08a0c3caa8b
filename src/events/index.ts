export type { AlarmTenant } from './parseAlarmStateChange.js';
export { parseAlarmStateChange, tenantForAlarm } from './parseAlarmStateChange.js';
export { parseElastiCacheNotification } from './parseElastiCacheNotification.js';
export type { ElastiCacheTenant } from './sources.js';
export {
  groupsToRefresh,
  isNamedMemberOf,
  sourceMatch,
  tenantForSource,
  tenantsForSource,
} from './sources.js';
export { truncateRaw } from './truncate.js';
export type { AlarmState, ParsedEvents, RejectedEvent, SoakEvent, TenantEvent } from './types.js';
