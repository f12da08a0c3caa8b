import type { Redis } from 'ioredis';
import {
  CONNECTION_NAME,
  describeFailure,
  type InfoSections,
  infoNumber,
  infoString,
  type OwnTraffic,
  parseInfo,
  serverMajorVersion,
} from '../redis/index.js';
import type { ClusterSide, NodeSample } from './types.js';

/** Every INFO section a sample may ask a node for. */
export const INFO_SECTIONS = [
  'keyspace',
  'memory',
  'replication',
  'stats',
  'errorstats',
  'clients',
  'persistence',
] as const;
export type InfoSection = (typeof INFO_SECTIONS)[number];

/**
 * The INFO sections a node is asked for: what the catalogue's metrics read there, nothing more
 * (each section costs the server time; memory costs the most). Every node: keyspace, replication
 * (role, offsets), stats and errorstats (errors, ACL denials). Target nodes: memory (memory % and
 * fragmentation are target metrics). The legacy primary: persistence (its change counter tells
 * writes apart). `memory: false` leaves memory out on a target node whose reading is carried from the
 * previous sample (a replica, see REPLICA_MEMORY). `full` adds memory and clients everywhere, for a
 * one-off look (`soakwatch check`).
 */
export function infoSectionsFor(
  side: ClusterSide,
  opts: { persistence?: boolean; full?: boolean; clientList?: boolean; memory?: boolean } = {},
): InfoSection[] {
  const memory = opts.full === true || (opts.memory ?? side === 'target');
  return [
    'keyspace',
    ...(memory ? (['memory'] as const) : []),
    'replication',
    'stats',
    'errorstats',
    // connected_clients tells whether the last CLIENT LIST still holds (see ClientListMemo).
    ...(opts.full || opts.clientList ? (['clients'] as const) : []),
    ...(opts.persistence ? (['persistence'] as const) : []),
  ];
}

/** A node's last CLIENT LIST, with what its INFO said when it was read. */
export interface ClientListSeen {
  clients: NonNullable<NodeSample['clients']>;
  /** connected_clients, total_connections_received, role and replicas at the read. */
  signature: string;
  /** The sampler's clock at the read. */
  at: number;
  /** Samples that used it since. */
  reused: number;
}

/**
 * Last CLIENT LIST per node address. While a node has accepted no connection (total_connections_received),
 * lost none (connected_clients) and kept its role and replicas, its clients are the same connections as
 * at the last read, so the list is reused instead of re-read (CLIENT LIST costs the server time per
 * client). It is re-read anyway after CLIENT_LIST_REUSE samples or minutes.
 */
export type ClientListMemo = Map<string, ClientListSeen>;

export const CLIENT_LIST_REUSE = { maxReuses: 9, maxAgeMs: 300_000 } as const;

export interface ReadNodeOptions {
  side: ClusterSide;
  address: string;
  /** Also read INFO persistence (legacy primary: its change counter tells writes apart from housekeeping). */
  persistence?: boolean;
  /** Also read the sections no metric needs (memory on legacy, clients): see `infoSectionsFor`. */
  full?: boolean;
  /** `false`: leave INFO memory out (a target replica whose reading is carried, see REPLICA_MEMORY). */
  memory?: boolean;
  /** Also read CLIENT LIST. */
  clientList?: boolean;
  /** Where the last CLIENT LIST of each node is kept, to reuse it while the node's clients did not change. */
  clientsMemo?: ClientListMemo;
  /** Snapshot of soakwatch's own traffic to this node, taken just before INFO is sent. */
  own?: () => OwnTraffic;
  now: () => number;
}

// Connections asked one INFO section at a time: servers older than 7 (known from the connection's
// handshake, or from a multi-section INFO refused or ignored) answer a multi-section INFO with an error.
const perSection = new WeakSet<Redis>();

/**
 * Reads one node: one INFO round trip, with only the sections `infoSectionsFor` names (pipelined with
 * CLIENT LIST when asked and the last list cannot be reused; a second round trip when INFO shows the
 * node's connections changed). Never throws.
 */
export async function readNode(getClient: () => Promise<Redis>, opts: ReadNodeOptions): Promise<NodeSample> {
  const start = opts.now();
  const sections: string[] = infoSectionsFor(opts.side, opts);
  const wantList = opts.clientList === true;
  const seen = wantList ? opts.clientsMemo?.get(opts.address) : undefined;
  const mayReuse =
    seen !== undefined &&
    seen.reused < CLIENT_LIST_REUSE.maxReuses &&
    start >= seen.at &&
    start - seen.at < CLIENT_LIST_REUSE.maxAgeMs;
  try {
    const client = await getClient();
    // INFO with several sections is Redis ≥ 7: an older server answers it with an error reply (counted
    // in its own error stats), so it is asked one section at a time from the start.
    const major = serverMajorVersion(client);
    if (major !== undefined && major < 7) perSection.add(client);
    const atInfo = opts.own?.();
    const listNow = wantList && !mayReuse;
    let { info, clients, clientsError, mode } = await roundTrip(client, sections, listNow);
    if (
      mode === 'multi' &&
      !sections.every((s) => info.sections.has(s) || s === 'errorstats' || s === 'keyspace')
    ) {
      // An old server ignored the extra sections instead of refusing them.
      perSection.add(client);
      ({ info, clients, clientsError, mode } = await roundTrip(client, sections, listNow));
    }
    if (wantList) {
      const signature = clientsSignature(info);
      if (!listNow && seen && signature !== undefined && signature === seen.signature) {
        clients = seen.clients.map((c) => ({ ...c }));
        seen.reused++;
      } else {
        if (!listNow) ({ clients, clientsError } = await clientList(client));
        if (clients && signature !== undefined)
          opts.clientsMemo?.set(opts.address, { clients, signature, at: start, reused: 0 });
        else opts.clientsMemo?.delete(opts.address);
      }
    }
    const node = toNodeSample(info, opts.side, opts.address, opts.now() - start);
    node.infoMode = mode;
    if (clients) node.clients = clients;
    if (clientsError) node.clientsError = clientsError;
    if (atInfo) node.own = { atInfo, atEnd: atInfo };
    return node;
  } catch (error) {
    return failedNode(opts.side, opts.address, describeFailure(error), opts.now() - start);
  }
}

/** A node that could not be read. */
export function failedNode(
  side: ClusterSide,
  address: string,
  error: string,
  durationMs: number,
): NodeSample {
  return { side, address, role: 'unknown', ok: false, error, durationMs, keyspace: {} };
}

/** Connection counters, role and replicas: unchanged, the node has the same client connections. */
function clientsSignature(info: InfoSections): string | undefined {
  const connected = infoNumber(info, 'connected_clients');
  const received = infoNumber(info, 'total_connections_received');
  if (connected === undefined || received === undefined) return undefined;
  const master = `${infoString(info, 'master_host') ?? ''}:${infoString(info, 'master_port') ?? ''}`;
  const replicas = info.replicas.map((r) => r.address).sort();
  return [connected, received, infoString(info, 'role') ?? '', master, ...replicas].join('|');
}

async function clientList(
  client: Redis,
): Promise<{ clients?: NodeSample['clients']; clientsError?: string }> {
  try {
    return { clients: parseClientList(String(await client.client('LIST'))) };
  } catch (error) {
    return { clientsError: describeFailure(error) };
  }
}

async function roundTrip(
  client: Redis,
  sections: string[],
  clientList: boolean,
): Promise<{
  info: InfoSections;
  clients?: NodeSample['clients'];
  clientsError?: string;
  mode: 'multi' | 'per-section';
}> {
  const multi = !perSection.has(client);
  let replies: [Error | null, unknown][];
  if (multi && !clientList) {
    // The common case, one command: sent as is (a pipeline's bookkeeping costs more than the parse).
    replies = await client.info(...sections).then(
      (text): [Error | null, unknown][] => [[null, text]],
      (error: unknown): [Error | null, unknown][] => [
        [error instanceof Error ? error : new Error(String(error)), undefined],
      ],
    );
  } else {
    const pipe = client.pipeline();
    if (multi) pipe.info(...sections);
    else for (const s of sections) pipe.info(s);
    if (clientList) pipe.client('LIST');
    replies = (await pipe.exec()) ?? [];
  }
  const infoCount = multi ? 1 : sections.length;
  const infoReplies = replies.slice(0, infoCount);
  const firstError = infoReplies.find(([e]) => e)?.[0];
  if (firstError) {
    if (multi && /syntax|wrong number/i.test(firstError.message)) {
      perSection.add(client);
      return roundTrip(client, sections, clientList);
    }
    throw firstError;
  }
  const info = parseInfo(infoReplies.map(([, text]) => String(text)).join('\r\n'));
  const out: {
    info: InfoSections;
    clients?: NodeSample['clients'];
    clientsError?: string;
    mode: 'multi' | 'per-section';
  } = {
    info,
    mode: multi ? 'multi' : 'per-section',
  };
  if (clientList) {
    const [error, text] = replies[infoCount] ?? [new Error('no CLIENT LIST reply'), undefined];
    if (error) out.clientsError = describeFailure(error);
    else out.clients = parseClientList(String(text));
  }
  return out;
}

/** Turns parsed INFO into a NodeSample; a field that is absent leaves its group out, never a 0. */
export function toNodeSample(
  info: InfoSections,
  side: ClusterSide,
  address: string,
  durationMs: number,
): NodeSample {
  const n = (field: string) => infoNumber(info, field);
  const role = infoString(info, 'role');
  const node: NodeSample = {
    side,
    address,
    role: role === 'master' ? 'master' : role === 'slave' ? 'replica' : 'unknown',
    ok: true,
    durationMs,
    keyspace: {},
  };
  const version = infoString(info, 'redis_version');
  if (version) node.version = version;
  for (const [db, entry] of Object.entries(info.keyspace)) node.keyspace[Number(db)] = entry;

  const used = n('used_memory');
  const maxmemory = n('maxmemory');
  if (used !== undefined && maxmemory !== undefined) {
    node.memory = {
      used,
      peak: n('used_memory_peak') ?? used,
      rss: n('used_memory_rss') ?? 0,
      maxmemory,
      fragmentation: n('mem_fragmentation_ratio') ?? 0,
    };
  }

  const totalCommands = n('total_commands_processed');
  if (totalCommands !== undefined) {
    const aclFields = [
      'acl_access_denied_auth',
      'acl_access_denied_cmd',
      'acl_access_denied_key',
      'acl_access_denied_channel',
    ];
    const aclKnown = aclFields.some((f) => n(f) !== undefined);
    node.stats = {
      totalCommands,
      evictedKeys: n('evicted_keys') ?? 0,
      expiredKeys: n('expired_keys') ?? 0,
      rejectedConnections: n('rejected_connections') ?? 0,
      totalErrorReplies: n('total_error_replies') ?? sum(Object.values(info.errorstats)),
      aclDenied: aclKnown
        ? sum(aclFields.map((f) => n(f) ?? 0))
        : (info.errorstats.NOPERM ?? 0) + (info.errorstats.WRONGPASS ?? 0),
      syncFull: n('sync_full') ?? 0,
      errorstats: { ...info.errorstats },
    };
  }

  const replid = infoString(info, 'master_replid');
  const offset = n('master_repl_offset');
  if (replid !== undefined && offset !== undefined) {
    node.replication = {
      replid,
      offset,
      replicas: info.replicas.map((r) => ({ ...r })),
    };
    const masterHost = infoString(info, 'master_host');
    const masterPort = n('master_port');
    if (masterHost !== undefined && masterPort !== undefined) {
      node.replication.masterAddress = `${masterHost}:${masterPort}`;
      node.replication.linkUp = infoString(info, 'master_link_status') === 'up';
    }
  }
  const connected = n('connected_clients');
  if (connected !== undefined) node.connectedClients = connected;
  const changes = n('rdb_changes_since_last_save');
  const lastSave = n('rdb_last_save_time');
  if (changes !== undefined && lastSave !== undefined)
    node.persistence = { changesSinceSave: changes, lastSaveTime: lastSave };
  return node;
}

/** Parses CLIENT LIST: one client per line of `field=value` pairs. */
export function parseClientList(text: string): NonNullable<NodeSample['clients']> {
  const out: NonNullable<NodeSample['clients']> = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = new Map<string, string>();
    for (const part of line.trim().split(' ')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
    }
    const address = fields.get('addr');
    if (!address) continue;
    const name = fields.get('name') ?? '';
    const libName = fields.get('lib-name') ?? '';
    const libVer = fields.get('lib-ver') ?? '';
    out.push({
      name,
      address,
      lib: libName ? `${libName}${libVer ? `@${libVer}` : ''}` : '',
      cmd: fields.get('cmd') ?? '',
      flags: fields.get('flags') ?? '',
      isSoakwatch: name === CONNECTION_NAME,
    });
  }
  return out;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
