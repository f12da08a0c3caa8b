export type { CloudWatchQuery, FetchCloudWatchOptions } from './cloudwatch.js';
export {
  CLOUDWATCH_DEFAULTS,
  cloudWatchLookbackMs,
  cloudWatchQueries,
  fetchCloudWatchMetrics,
} from './cloudwatch.js';
export type { DescribeEventsOptions } from './elasticacheEvents.js';
export { describeElastiCacheEvents, elastiCacheEventType } from './elasticacheEvents.js';
export { AwsError } from './errors.js';
export type { MemberCache, MemberCacheLog, MemberCacheOptions } from './members.js';
export { createMemberCache, MEMBER_CACHE_MS, MEMBER_REFRESH_MIN_MS, NO_MEMBERS } from './members.js';
export type { ReplicationGroupInfo } from './replicationGroup.js';
export { describeReplicationGroup, listMemberClusters, memberCacheOf } from './replicationGroup.js';
export type { TenantEventsReader, TenantMetricsReader } from './tenantReaders.js';
export { createCloudWatchReader, createElastiCacheEventsReader } from './tenantReaders.js';
