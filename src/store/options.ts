import type { RedisOptions } from 'ioredis';

/**
 * What the caller must set on the state-store client so an unreachable store fails a tick in
 * seconds instead of hanging until the Lambda times out:
 * - `commandTimeout`: a frozen or partitioned server rejects the command ("Command timed out");
 * - `maxRetriesPerRequest`: small, so commands are not replayed over many reconnect attempts;
 * - `enableOfflineQueue: false`: while disconnected, commands reject at once instead of queuing.
 *   With it off, wait for the connection before the first command
 *   (`lazyConnect: true` then `await redis.connect()`), or the first command fails while connecting.
 * - `connectTimeout`: a black-holed address fails the connect quickly.
 * - `disableClientInfo`: no CLIENT SETINFO on connect, which Redis < 7.2 answers with an error.
 * For a cluster-mode store pass these as the Cluster's `redisOptions`, and set the Cluster's own
 * `enableOfflineQueue: false` and `lazyConnect: true` too.
 */
export const stateStoreRedisOptions = {
  commandTimeout: 2_000,
  connectTimeout: 3_000,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  lazyConnect: true,
  disableClientInfo: true,
} as const satisfies RedisOptions;
