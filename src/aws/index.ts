export type { CloudWatchQuery, FetchCloudWatchOptions } from './cloudwatch.js';
export {
  CLOUDWATCH_DEFAULTS,
  cloudWatchLookbackMs,
  cloudWatchQueries,
  fetchCloudWatchMetrics,
} from './cloudwatch.js';
export type { RoundCall, RoundMetrics, RoundPlan, TenantMetricsPlan } from './cloudwatchRound.js';
export { planCloudWatchRound, readCloudWatchRound } from './cloudwatchRound.js';
export type { DescribedEvents, DescribeEventsOptions } from './elasticacheEvents.js';
export {
  describeElastiCacheEvents,
  elastiCacheEventType,
  eventsOfGroup,
  readElastiCacheEvents,
} from './elasticacheEvents.js';
export { AwsError } from './errors.js';
export type { MemberCache, MemberCacheLog, MemberCacheOptions } from './members.js';
export { createMemberCache, MEMBER_CACHE_MS, MEMBER_REFRESH_MIN_MS, NO_MEMBERS } from './members.js';
export type { ReplicationGroupInfo } from './replicationGroup.js';
export { describeReplicationGroup, listMemberClusters, memberCacheOf } from './replicationGroup.js';
export type { TenantEventsReader, TenantMetricsReader } from './tenantReaders.js';
export { createCloudWatchReader, createElastiCacheEventsReader } from './tenantReaders.js';
