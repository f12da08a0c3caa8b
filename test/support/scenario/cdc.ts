import { createServer, type Server } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { openPsyncLink, type PsyncLink } from './psync.js';

/**
 * The CDC stand-in: plays the migration's replication tool (test support, not product).
 *
 * Design: a PSYNC link (psync.ts) makes it a replica of the legacy primary, the way a PSYNC-based
 * tool is one — listed by the primary with its address and the offset it ACKs, which is the bytes it
 * has *received*, not what it applied. Every key a command of the stream names (found through the
 * key positions `COMMAND` reports) is queued and copied with DUMP + PTTL (one MULTI per db and batch,
 * on the primary) and RESTORE … REPLACE (or DEL when gone) on the target, under the db's prefix.
 * Copying the key's current value rather than replaying the command converges whatever the order,
 * and one batch at a time keeps a later read from being overtaken by an earlier one. A full sync
 * (at start and at a `resync()`) copies every key of the mapped dbs the same way (SCAN), instead of
 * parsing the RDB.
 *
 * Limits, on purpose: FLUSHDB/FLUSHALL/SWAPDB and the destination db of MOVE/COPY are not followed
 * (counted in `stats.unsupported`); the application load never sends them.
 *
 * Faults it can play (soakwatch's own `__soakwatch:` keys are never the victims: the faults are about
 * application data; a lost heartbeat would be the stall fault instead):
 * - `stalled`: keeps receiving and ACKing, applies nothing (the keys wait; `setFaults({stalled:false})` catches up);
 * - `skipDbs`: those dbs are never copied;
 * - `loseFraction`: that share of keys (picked by a hash of db and key, so the same keys always) is never copied;
 * - `dropTtl`: keys are restored without their TTL;
 * - `alterFraction`: that share of keys gets its value changed on the target after each copy, with the
 *   type and the count (string length, fields, members, elements) unchanged;
 * - `resync()`: drops the link and reconnects with `PSYNC ? -1` — a new `sync_full` on the primary.
 */
export interface CdcFaults {
  stalled: boolean;
  skipDbs: readonly number[];
  loseFraction: number;
  dropTtl: boolean;
  alterFraction: number;
}

export interface CdcOptions {
  /** For connection names and errors. */
  name: string;
  legacy: { host: string; port: number };
  /** Any node of the target cluster. */
  target: { host: string; port: number };
  /** Legacy db → target key prefix; only these dbs are copied. */
  dbMap: Readonly<Record<string, string>>;
  faults?: Partial<CdcFaults>;
  /** Keys per copy batch (default 500). */
  batchKeys?: number;
}

export interface CdcStats {
  fullSyncs: number;
  /** Commands of the stream that named keys. */
  commands: number;
  keysQueued: number;
  keysCopied: number;
  keysDeleted: number;
  /** Keys a fault kept from being copied (skipped db, lost share). */
  keysDropped: number;
  keysAltered: number;
  /** Longest time a queued key waited before it was read for copying. */
  maxApplyLagMs: number;
  /** Links to the primary that broke without close(). */
  linksLost: number;
  unsupported: Record<string, number>;
  errors: number;
  lastError?: string;
}

interface KeySpec {
  first: number;
  last: number;
  step: number;
  movable: boolean;
}

interface Entry {
  db: number;
  key: Buffer;
  id: string;
  queuedAt: number;
}

const UNSUPPORTED = new Set(['flushdb', 'flushall', 'swapdb', 'move', 'copy']);
const OWN_KEY = Buffer.from('__soakwatch:');

// Changes one element's value in place, keeping type and count: the fault spot-checks must find.
const ALTER_SCRIPT = `
local k = KEYS[1]
local t = redis.call('TYPE', k).ok
if t == 'string' then
  local c = redis.call('GETRANGE', k, 0, 0)
  if c ~= '' then redis.call('SETRANGE', k, 0, c == '~' and '^' or '~') end
elseif t == 'hash' then
  local f = redis.call('HRANDFIELD', k)
  if f then redis.call('HSET', k, f, redis.call('HGET', k, f) .. '~') end
elseif t == 'list' then
  local v = redis.call('LINDEX', k, 0)
  if v then redis.call('LSET', k, 0, v .. '~') end
elseif t == 'set' then
  local m = redis.call('SRANDMEMBER', k)
  if m and redis.call('SISMEMBER', k, m .. '~') == 0 then
    -- Add before removing: a set of one member emptied would lose its TTL when recreated.
    redis.call('SADD', k, m .. '~')
    redis.call('SREM', k, m)
  end
elseif t == 'zset' then
  local m = redis.call('ZRANGE', k, 0, 0)[1]
  if m then redis.call('ZINCRBY', k, 1, m) end
end
return t`;

/** FNV-1a of db and key, as a share in [0, 1): the same keys are picked on every copy. */
export function keyShare(db: number, key: Buffer): number {
  let h = 0x811c9dc5 ^ (db & 0xff);
  h = Math.imul(h, 0x01000193);
  for (const byte of key) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x1_0000_0000;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CdcStandIn {
  /** `host:port` as the legacy primary lists this replica: the entry for `legacy.cdcReplicas`. */
  readonly address: string;
  readonly stats: CdcStats = {
    fullSyncs: 0,
    commands: 0,
    keysQueued: 0,
    keysCopied: 0,
    keysDeleted: 0,
    keysDropped: 0,
    keysAltered: 0,
    maxApplyLagMs: 0,
    linksLost: 0,
    unsupported: {},
    errors: 0,
  };
  private faultsNow: CdcFaults;
  private link: PsyncLink | undefined;
  private readonly readers = new Map<number, Redis>();
  private readonly control: Redis;
  private readonly target: Cluster;
  private readonly specs = new Map<string, KeySpec>();
  private readonly queue: Entry[] = [];
  private readonly pending = new Set<string>();
  private inFlight = false;
  private wake: (() => void) | undefined;
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private reconnecting: Promise<void> | undefined;

  private constructor(
    private readonly opts: CdcOptions,
    private readonly portHolder: Server,
    listeningPort: number,
  ) {
    this.address = `127.0.0.1:${listeningPort}`;
    this.faultsNow = {
      stalled: false,
      skipDbs: [],
      loseFraction: 0,
      dropTtl: false,
      alterFraction: 0,
      ...opts.faults,
    };
    const base = { host: opts.legacy.host, port: opts.legacy.port, disableClientInfo: true } as const;
    this.control = new Redis({ ...base, connectionName: `cdc-${opts.name}-control`, lazyConnect: true });
    this.control.on('error', () => undefined);
    for (const db of Object.keys(opts.dbMap).map(Number)) {
      const reader = new Redis({
        ...base,
        db,
        connectionName: `cdc-${opts.name}-db${db}`,
        lazyConnect: true,
      });
      reader.on('error', () => undefined);
      this.readers.set(db, reader);
    }
    this.target = new Cluster([{ host: opts.target.host, port: opts.target.port }], {
      enableAutoPipelining: true,
      lazyConnect: true,
      redisOptions: { disableClientInfo: true, connectionName: `cdc-${opts.name}-writer` },
    });
    this.target.on('error', () => undefined);
  }

  /** Connects as a replica, copies every key (the full sync), and follows the stream from then on. */
  static async start(opts: CdcOptions): Promise<CdcStandIn> {
    // The announced port is held by a listener that closes every connection: Sentinel learns this
    // "replica" from the primary and probes it, and must never reach someone else's server there.
    const portHolder = createServer((socket) => socket.destroy());
    const listeningPort = await new Promise<number>((resolve, reject) => {
      portHolder.once('error', reject);
      portHolder.listen(0, '127.0.0.1', () => {
        const a = portHolder.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    const cdc = new CdcStandIn(opts, portHolder, listeningPort);
    try {
      await Promise.all([
        cdc.control.connect(),
        cdc.target.connect(),
        ...[...cdc.readers.values()].map((r) => r.connect()),
      ]);
      await cdc.loadKeySpecs();
      cdc.loopDone = cdc.applyLoop();
      await cdc.fullSync();
      await cdc.drained(60_000);
      return cdc;
    } catch (error) {
      await cdc.stop();
      throw error;
    }
  }

  get faults(): Readonly<CdcFaults> {
    return this.faultsNow;
  }

  /** Changes the faults it plays from now on (resuming from a stall catches up at once). */
  setFaults(faults: Partial<CdcFaults>): void {
    this.faultsNow = { ...this.faultsNow, ...faults };
    this.wake?.();
  }

  /** The stream offset received (what the primary sees ACKed). */
  get receivedOffset(): number {
    return this.link?.offset ?? 0;
  }

  /** Drops the link and reconnects with a full resync, then copies every key again. */
  async resync(): Promise<void> {
    this.link?.close();
    this.link = undefined;
    await this.fullSync();
  }

  /**
   * Resolves once everything the primary had written when called is received and applied (never while
   * stalled: then it fails after `timeoutMs`).
   */
  async drained(timeoutMs = 10_000): Promise<void> {
    const info = await this.control.info('replication');
    const primaryOffset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? 0);
    const deadline = Date.now() + timeoutMs;
    while (this.receivedOffset < primaryOffset || this.queue.length > 0 || this.inFlight) {
      if (Date.now() > deadline)
        throw new Error(
          `CDC ${this.opts.name}: not drained after ${timeoutMs} ms (received ${this.receivedOffset} of ${primaryOffset}, ${this.queue.length} keys queued, stalled ${this.faultsNow.stalled})`,
        );
      await sleep(20);
    }
  }

  /** Closes the link and every connection; the primary drops the replica. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.link?.close();
    this.link = undefined;
    this.wake?.();
    await this.loopDone?.catch(() => undefined);
    await this.reconnecting?.catch(() => undefined);
    for (const c of [this.control, ...this.readers.values()]) c.disconnect();
    this.target.disconnect();
    await new Promise<void>((resolve) => this.portHolder.close(() => resolve()));
  }

  private async loadKeySpecs(): Promise<void> {
    const reply = (await this.control.call('COMMAND')) as unknown[];
    for (const entry of reply) {
      if (!Array.isArray(entry)) continue;
      const [name, , flags, first, last, step] = entry as [string, number, string[], number, number, number];
      this.specs.set(String(name).toLowerCase(), {
        first: Number(first),
        last: Number(last),
        step: Number(step),
        movable: Array.isArray(flags) && flags.includes('movablekeys'),
      });
    }
  }

  private async connectLink(): Promise<void> {
    this.link = await openPsyncLink({
      host: this.opts.legacy.host,
      port: this.opts.legacy.port,
      listeningPort: Number(this.address.split(':')[1]),
      onCommand: (db, args) => this.onCommand(db, args),
      onClose: (error) => {
        if (this.stopped) return;
        this.stats.linksLost++;
        if (error) this.noteError(error);
        // Like a real tool: reconnect, which for this stand-in is a full resync.
        this.link = undefined;
        this.reconnecting = sleep(500).then(() => (this.stopped ? undefined : this.fullSync()));
      },
    });
  }

  private async fullSync(): Promise<void> {
    await this.connectLink();
    this.stats.fullSyncs++;
    for (const [db, reader] of this.readers) {
      let cursor = '0';
      do {
        const [next, keys] = await reader.scanBuffer(cursor, 'COUNT', 1000);
        cursor = String(next);
        for (const key of keys) this.enqueue(db, key);
      } while (cursor !== '0' && !this.stopped);
    }
  }

  private onCommand(db: number, args: Buffer[]): void {
    const name = args[0]?.toString('latin1').toLowerCase() ?? '';
    if (name === 'multi' || name === 'exec') return;
    if (UNSUPPORTED.has(name)) {
      this.stats.unsupported[name] = (this.stats.unsupported[name] ?? 0) + 1;
      if (name !== 'move' && name !== 'copy') return;
    }
    const spec = this.specs.get(name);
    if (!spec || spec.first === 0) return;
    this.stats.commands++;
    if (spec.movable) {
      this.control
        .callBuffer('COMMAND', 'GETKEYS', ...args)
        .then((keys) => {
          for (const k of keys as Buffer[]) this.enqueue(db, k);
        })
        .catch((error: unknown) => this.noteError(error));
      return;
    }
    const last = spec.last < 0 ? args.length + spec.last : spec.last;
    for (let i = spec.first; i <= last && i < args.length; i += Math.max(1, spec.step)) {
      const key = args[i];
      if (key) this.enqueue(db, key);
    }
  }

  private enqueue(db: number, key: Buffer): void {
    if (!this.readers.has(db)) return;
    const own = key.subarray(0, OWN_KEY.length).equals(OWN_KEY);
    if (!own && (this.faultsNow.skipDbs.includes(db) || keyShare(db, key) < this.faultsNow.loseFraction)) {
      this.stats.keysDropped++;
      return;
    }
    const id = `${db}:${key.toString('latin1')}`;
    if (this.pending.has(id)) return;
    this.pending.add(id);
    this.queue.push({ db, key, id, queuedAt: Date.now() });
    this.stats.keysQueued++;
    this.wake?.();
  }

  private async applyLoop(): Promise<void> {
    const size = this.opts.batchKeys ?? 500;
    while (!this.stopped) {
      if (this.faultsNow.stalled || this.queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const batch = this.queue.splice(0, size);
      for (const e of batch) this.pending.delete(e.id);
      this.inFlight = true;
      try {
        await this.apply(batch);
      } catch (error) {
        this.noteError(error);
        // Retry the batch (a node restarting, a moved slot): the keys go back in front.
        const again = batch.filter((e) => !this.pending.has(e.id));
        for (const e of again) this.pending.add(e.id);
        this.queue.unshift(...again);
        await sleep(100);
      } finally {
        this.inFlight = false;
      }
    }
  }

  private async apply(batch: Entry[]): Promise<void> {
    const now = Date.now();
    const byDb = new Map<number, Entry[]>();
    for (const e of batch) {
      this.stats.maxApplyLagMs = Math.max(this.stats.maxApplyLagMs, now - e.queuedAt);
      const list = byDb.get(e.db);
      if (list) list.push(e);
      else byDb.set(e.db, [e]);
    }
    const read = await Promise.all(
      [...byDb].map(async ([db, entries]) => {
        const reader = this.readers.get(db);
        if (!reader) return [];
        const tx = reader.multi();
        for (const e of entries) {
          tx.dumpBuffer(e.key);
          tx.pttl(e.key);
        }
        const replies = (await tx.exec()) ?? [];
        return entries.map((e, i) => {
          const [dumpError, dump] = replies[2 * i] ?? [];
          const [pttlError, pttl] = replies[2 * i + 1] ?? [];
          if (dumpError || pttlError) throw dumpError ?? pttlError;
          return { e, dump: dump as Buffer | null, pttl: Number(pttl) };
        });
      }),
    );
    const faults = this.faultsNow;
    await Promise.all(
      read.flat().map(async ({ e, dump, pttl }) => {
        const prefix = this.opts.dbMap[String(e.db)] ?? '';
        const key = Buffer.concat([Buffer.from(prefix), e.key]);
        // -2: gone; 0: expires this millisecond (RESTORE would read 0 as "no TTL").
        if (dump === null || pttl === -2 || pttl === 0) {
          await this.target.del(key);
          this.stats.keysDeleted++;
          return;
        }
        const own = e.key.subarray(0, OWN_KEY.length).equals(OWN_KEY);
        const ttl = pttl > 0 && !(faults.dropTtl && !own) ? pttl : 0;
        await this.target.restore(key, ttl, dump, 'REPLACE');
        this.stats.keysCopied++;
        if (!own && faults.alterFraction > 0 && keyShare(e.db + 128, e.key) < faults.alterFraction) {
          await this.target.eval(ALTER_SCRIPT, 1, key);
          this.stats.keysAltered++;
        }
      }),
    );
  }

  private noteError(error: unknown): void {
    this.stats.errors++;
    this.stats.lastError = error instanceof Error ? error.message : String(error);
  }
}
