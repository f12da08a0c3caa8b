import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { BudgetExhaustedError, describeFailure, RedisConnectionError } from './errors.js';
import type { TrafficLedger } from './ownTraffic.js';

/** Rejects with `onTimeout()` when `promise` has not settled after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Rejects with a BudgetExhaustedError naming `what` when `promise` has not settled by `deadline`
 * (Date.now() ms). The work itself is not stopped: its result, or its failure, is simply not waited for.
 */
export function beforeDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) {
    promise.catch(() => undefined);
    return Promise.reject(new BudgetExhaustedError(what));
  }
  return withTimeout(promise, left, () => new BudgetExhaustedError(what));
}

// Connection → the major version of the server it reached (from the handshake's INFO server).
const serverMajor = new WeakMap<Redis, number>();

/** The major version of the server behind a connection opened by `openNodeClient`; undefined when unknown. */
export function serverMajorVersion(client: Redis): number | undefined {
  return serverMajor.get(client);
}

/**
 * Opens a direct connection to one node, counting every command it sends in `ledger`.
 * `limitMs` bounds the whole handshake (TCP, TLS, AUTH, SETNAME, ready check): a frozen node
 * accepts the TCP connection and then never answers. The ready check is soakwatch's own (ioredis's
 * is off): INFO server and INFO persistence, single sections every server version answers (Sentinel
 * too), instead of a full INFO. It tells the server version (so no command a server would refuse is
 * sent to it) and refuses a node still loading its data set (its key counts are not yet true).
 */
export async function openNodeClient(
  address: string,
  options: RedisOptions,
  ledger: TrafficLedger | undefined,
  limitMs: number,
): Promise<Redis> {
  const client = new Redis(options);
  // Failures surface through the command promises; an unhandled 'error' event would crash the process.
  // The first one is kept: connect() itself only says "Connection is closed" (a TLS or auth failure is in the event).
  let firstError: unknown;
  client.on('error', (error) => {
    firstError ??= error;
  });
  if (ledger) {
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command, stream) => {
      ledger.record(address, command.name, command.args);
      return send(command, stream);
    };
  }
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        const replies = (await client.pipeline().info('server').info('persistence').exec()) ?? [];
        const [server, persistence] = replies.map(([error, text]) => {
          if (error) throw error;
          return String(text);
        });
        const major = Number(/^redis_version:(\d+)\./m.exec(server ?? '')?.[1]);
        if (Number.isInteger(major)) serverMajor.set(client, major);
        if (/^loading:1/m.test(persistence ?? '')) {
          const pct = /^loading_loaded_perc:([\d.]+)/m.exec(persistence ?? '')?.[1];
          throw new RedisConnectionError(address, `is loading its data set${pct ? ` (${pct} % done)` : ''}`);
        }
      })(),
      limitMs,
      () => new RedisConnectionError(address, `no answer within ${limitMs} ms while connecting`),
    );
    return client;
  } catch (error) {
    client.disconnect();
    if (error instanceof RedisConnectionError) throw error;
    const reason = firstError ?? error;
    throw new RedisConnectionError(address, `could not connect: ${describeFailure(reason)}`, {
      cause: reason,
    });
  }
}

/**
 * Opens an ioredis Cluster client from a configuration endpoint and, when known, other nodes of the
 * cluster: the slot table is asked of them in turn, so one node that does not answer does not fail it.
 */
export async function openClusterClient(
  address: string,
  seeds: { host: string; port: number } | readonly { host: string; port: number }[],
  options: ClusterOptions,
  limitMs: number,
): Promise<Cluster> {
  const cluster = new Cluster(Array.isArray(seeds) ? [...seeds] : [seeds], options);
  let firstError: unknown;
  cluster.on('error', (error) => {
    firstError ??= error;
  });
  try {
    await withTimeout(
      cluster.connect(),
      limitMs,
      () => new RedisConnectionError(address, `cluster not ready within ${limitMs} ms`),
    );
    return cluster;
  } catch (error) {
    cluster.disconnect();
    if (error instanceof RedisConnectionError) throw error;
    const reason = firstError ?? error;
    throw new RedisConnectionError(address, `could not connect to the cluster: ${describeFailure(reason)}`, {
      cause: reason,
    });
  }
}
