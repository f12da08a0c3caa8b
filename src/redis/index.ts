export { SOAKWATCH_ACL_RULES } from './acl.js';
export type { ClusterNode } from './discovery.js';
export { clusterTopology, parseClusterNodes, parseClusterShards, sentinelPrimary } from './discovery.js';
export {
  BudgetExhaustedError,
  describeFailure,
  RedisConnectionError,
  RedisError,
  SecretResolutionError,
} from './errors.js';
export type { CommandStat, InfoSections, KeyspaceEntry, ReplicaLine } from './info.js';
export { infoNumber, infoString, parseInfo } from './info.js';
export {
  beforeDeadline,
  openClusterClient,
  openNodeClient,
  serverMajorVersion,
  withTimeout,
} from './nodeClient.js';
export type { HostPort, SideAuth, Timeouts } from './options.js';
export {
  CONNECTION_NAME,
  clusterOptions,
  formatAddress,
  nodeOptions,
  parseAddress,
  resolveSideAuth,
  urlAddress,
} from './options.js';
export type { OwnTraffic } from './ownTraffic.js';
export { respLength, TrafficLedger } from './ownTraffic.js';
export type { ConnectionPool, ConnectionPoolOptions, LegacyHandle, TargetHandle } from './pool.js';
export { createConnectionPool } from './pool.js';
export { LuaScript } from './scripts.js';
export type { SecretResolver, SecretResolverOptions } from './secrets.js';
export { createSecretResolver } from './secrets.js';
export type { NodeView, TopologyPolicy } from './topologyCache.js';
export { DEFAULT_TOPOLOGY_POLICY, TopologyCache } from './topologyCache.js';
export { commandStatName, WRITE_COMMANDS } from './writeCommands.js';
