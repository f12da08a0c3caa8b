export type { AlarmTenant } from './parseAlarmStateChange.js';
export { parseAlarmStateChange, tenantForAlarm } from './parseAlarmStateChange.js';
export type { ElastiCacheTenant } from './parseElastiCacheNotification.js';
export { parseElastiCacheNotification, tenantForSource } from './parseElastiCacheNotification.js';
export { truncateRaw } from './truncate.js';
export type { ParsedEvents, RejectedEvent, SoakEvent, TenantEvent } from './types.js';
