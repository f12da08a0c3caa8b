export type { CloudWatchQuery, FetchCloudWatchOptions } from './cloudwatch.js';
export { fetchCloudWatchMetrics } from './cloudwatch.js';
export type { DescribeEventsOptions } from './elasticacheEvents.js';
export { describeElastiCacheEvents, elastiCacheEventType } from './elasticacheEvents.js';
export { AwsError } from './errors.js';
export type { ReplicationGroupInfo } from './replicationGroup.js';
export { describeReplicationGroup } from './replicationGroup.js';
