import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { SecretRef, TlsOptions } from '../config/schema.js';
import { RedisError } from './errors.js';
import type { SecretResolver } from './secrets.js';

/** The name soakwatch gives its connections (CLIENT SETNAME), so its own traffic can be told apart. */
export const CONNECTION_NAME = 'soakwatch';

export interface HostPort {
  host: string;
  port: number;
}

/** Credentials and TLS of one side (legacy or target), resolved once and used for every node. */
export interface SideAuth {
  username?: string;
  password?: string;
  tls?: ConnectionOptions;
}

export interface Timeouts {
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** `host:port`, with IPv6 hosts bracketed. */
export function formatAddress({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `host:port` (or `[v6]:port`); `undefined` when it is not one. */
export function parseAddress(address: string): HostPort | undefined {
  const m = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(address.trim());
  if (!m?.[1] || !m[2]) return undefined;
  return { host: m[1], port: Number(m[2]) };
}

/** host and port of a redis:// or rediss:// URL. */
export function urlAddress(url: string): HostPort {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 6379 };
}

/**
 * Resolves the credentials and TLS settings of a side. A `rediss://` URL turns TLS on; credentials
 * in the URL are used when the configuration gives none. Verification is always on.
 */
export async function resolveSideAuth(
  cfg: { url?: string; username?: string; password?: SecretRef; tls?: true | TlsOptions },
  secrets: SecretResolver,
): Promise<SideAuth> {
  const url = cfg.url ? new URL(cfg.url) : undefined;
  const username = cfg.username ?? (url?.username ? decodeURIComponent(url.username) : undefined);
  const password =
    cfg.password !== undefined
      ? await secrets.resolve(cfg.password)
      : url?.password
        ? decodeURIComponent(url.password)
        : undefined;
  const wantsTls = cfg.tls !== undefined || url?.protocol === 'rediss:';
  const tls = wantsTls ? await tlsOptions(cfg.tls === true ? undefined : cfg.tls) : undefined;
  return { username, password, tls };
}

async function tlsOptions(cfg: TlsOptions | undefined): Promise<ConnectionOptions> {
  const out: ConnectionOptions = { rejectUnauthorized: true };
  if (cfg?.ca) out.ca = cfg.ca;
  else if (cfg?.caFile) {
    try {
      out.ca = await readFile(cfg.caFile, 'utf8');
    } catch (error) {
      throw new RedisError(`could not read the TLS CA file ${cfg.caFile}`, { cause: error });
    }
  }
  if (cfg?.servername) out.servername = cfg.servername;
  return out;
}

/** TLS options for one node: SNI is the node's host name, unless configured or the host is an IP. */
function nodeTls(tls: ConnectionOptions | undefined, host: string): ConnectionOptions | undefined {
  if (!tls) return undefined;
  if (tls.servername || isIP(host)) return tls;
  return { ...tls, servername: host };
}

/** ioredis options for a direct connection to one node. The caller connects (`lazyConnect`). */
export function nodeOptions(node: HostPort, auth: SideAuth, timeouts: Timeouts, db = 0): RedisOptions {
  return {
    host: node.host,
    port: node.port,
    username: auth.username,
    password: auth.password,
    tls: nodeTls(auth.tls, node.host),
    db,
    connectionName: CONNECTION_NAME,
    // ioredis sends CLIENT SETINFO on every connection; Redis < 7.2 (and ElastiCache's 7.0/7.1 engines)
    // answer it with ERR, twice per connection, in the error counters of the very nodes soakwatch judges.
    disableClientInfo: true,
    // openNodeClient runs its own ready check (INFO server + persistence, not a full INFO).
    enableReadyCheck: false,
    connectTimeout: timeouts.connectTimeoutMs,
    commandTimeout: timeouts.commandTimeoutMs,
    // Fail fast: a sample reports a node it cannot read instead of queueing or retrying.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // The pool rebuilds a client that is not ready at its next use; ioredis must not reconnect behind it.
    retryStrategy: () => null,
    lazyConnect: true,
    // A socket refused at connect is force-closed after this; ioredis's default 2 s timer would keep
    // a CLI run (or a Lambda's event loop) alive that long after the failure was already reported.
    disconnectTimeout: 200,
  };
}

/** ioredis Cluster options. With TLS, the dnsLookup passthrough keeps the node host names for SNI. */
export function clusterOptions(auth: SideAuth, timeouts: Timeouts): ClusterOptions {
  const redisOptions = nodeOptions({ host: '', port: 0 }, auth, timeouts);
  delete redisOptions.host;
  delete redisOptions.port;
  delete redisOptions.retryStrategy;
  return {
    // The cluster's node connections keep ioredis's ready check: it waits while a node loads its data
    // set (a command sent then would earn a LOADING error reply).
    redisOptions: { ...redisOptions, enableReadyCheck: true, tls: auth.tls },
    // No CLUSTER INFO ready check: it goes to one random master, and a frozen one would fail the whole
    // client (and with it the heartbeat and the spot-check on every other master). Commands carry
    // their own timeouts; soakwatch judges the cluster's health from its nodes.
    enableReadyCheck: false,
    enableOfflineQueue: false,
    slotsRefreshTimeout: timeouts.commandTimeoutMs,
    clusterRetryStrategy: () => null,
    lazyConnect: true,
    // ElastiCache with in-transit encryption: certificates name the node hosts, not their IPs
    // (ioredis README, "Special note: AWS ElastiCache Clusters with TLS").
    ...(auth.tls
      ? { dnsLookup: (address: string, cb: (err: null, address: string) => void) => cb(null, address) }
      : {}),
  };
}
