import { afterAll, beforeAll } from 'vitest';
import {
  type ClusterOptions,
  type ClusterTopology,
  type Replicated,
  type ReplicatedOptions,
  type Standalone,
  type StandaloneOptions,
  startCluster,
  startReplicated,
  startStandalone,
  stopAll,
} from '../../tools/local/index.js';

// Safety net at file level (registered when a test file imports this module): whatever the file
// started on its own is gone after the file. Not per suite: that would kill a file-level topology
// that later suites still use.
afterAll(stopAll);

/** Reads the topology started by a `use…` helper; throws when read outside the suite's tests. */
export type Holder<T> = () => T;

function useTopology<T extends { stop(): Promise<void> }>(start: () => Promise<T>, what: string): Holder<T> {
  let current: T | undefined;
  beforeAll(async () => {
    current = await start();
  });
  afterAll(async () => {
    await current?.stop();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error(`${what} is not running: read it inside a test, after beforeAll`);
    return current;
  };
}

/** A redis-server for the enclosing suite: started in beforeAll, stopped in afterAll. */
export function useStandalone(opts?: StandaloneOptions): Holder<Standalone> {
  return useTopology(() => startStandalone(opts), 'the standalone Redis');
}

/** Primary + replicas + Sentinels for the enclosing suite. */
export function useReplicated(opts?: ReplicatedOptions): Holder<Replicated> {
  return useTopology(() => startReplicated(opts), 'the replicated Redis');
}

/** A Redis Cluster for the enclosing suite. */
export function useCluster(opts?: ClusterOptions): Holder<ClusterTopology> {
  return useTopology(() => startCluster(opts), 'the Redis Cluster');
}
