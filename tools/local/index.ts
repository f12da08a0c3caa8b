export { startCluster } from './cluster.js';
export { LocalRedisError, LocalRedisStartError } from './errors.js';
export { freePort } from './ports.js';
export { livePids, stopAll } from './registry.js';
export { startReplicated } from './replicated.js';
export { startStandalone } from './standalone.js';
export type {
  ClusterOptions,
  ClusterTopology,
  RedisProcess,
  Replicated,
  ReplicatedOptions,
  Standalone,
  StandaloneOptions,
  TlsMaterial,
} from './types.js';
