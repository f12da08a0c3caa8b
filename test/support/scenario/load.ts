import { Cluster, Redis } from 'ioredis';

/**
 * The application: a steady write load over the legacy dbs while replicating, and over the target
 * (each db's keys under its prefix) after the cutover. Creates, updates and deletes of strings,
 * hashes, sets, sorted sets and lists; 30 % of the keys carry a TTL (renewed at every write, as a
 * cache does); new keys are created faster than deletes and expiry remove them, so the keyspace grows.
 * Every key id has a fixed type and TTL class, so an update never meets a key of another type.
 *
 * The rate is held against the clock (what fell behind is sent in the next batch, one batch in
 * flight at a time); `stats()` reports what was achieved.
 */
export interface LoadOptions {
  /** Application operations per second (default 1,050: at least 1,000 achieved; each is one write command, more when it also sets a TTL or trims a list). */
  opsPerSec?: number;
  /** The dbs written and their target prefixes (legacy db → prefix). */
  dbMap: Readonly<Record<string, string>>;
  /** Share of key ids written with a TTL (default 0.3). */
  ttlShare?: number;
  /** TTL range of those keys, ms (default 20–120 s: they expire during a run). */
  ttlMs?: readonly [number, number];
  /** Shares of creates / updates / deletes (default 0.25 / 0.55 / 0.2: the keyspace grows by some 0.3 % a second). */
  mix?: { create: number; update: number; delete: number };
  /** Seeded random source (default a fixed seed: runs are repeatable). */
  seed?: number;
}

export interface LoadStats {
  ops: number;
  commands: number;
  errors: number;
  lastError?: string;
  /** Time spent running (paused time left out). */
  activeMs: number;
  opsPerSec: number;
  commandsPerSec: number;
  byOp: { create: number; update: number; delete: number };
}

type Sink =
  | { kind: 'legacy'; clients: Map<number, Redis> }
  | { kind: 'target'; cluster: Cluster }
  | { kind: 'none' };

const KINDS = ['str', 'str', 'str', 'str', 'str', 'hash', 'hash', 'set', 'zset', 'list'] as const;
type Kind = (typeof KINDS)[number];
const BATCH_MAX = 400;
const TICK_MS = 50;
const FILLER = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.repeat(8);

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One write command: name and arguments. */
type Command = [string, ...(string | number)[]];

export class AppLoad {
  private sink: Sink = { kind: 'none' };
  private readonly rand: () => number;
  private readonly dbs: number[];
  private readonly next = new Map<number, number>();
  private readonly opsPerSec: number;
  private readonly ttlShare: number;
  private readonly ttlMs: readonly [number, number];
  private readonly mix: { create: number; update: number; delete: number };
  private running = false;
  private runStartedAt = 0;
  private issuedThisRun = 0;
  private activeBefore = 0;
  private loop: Promise<void> | undefined;
  private readonly counters = {
    ops: 0,
    commands: 0,
    errors: 0,
    lastError: undefined as string | undefined,
    byOp: { create: 0, update: 0, delete: 0 },
  };

  constructor(private readonly opts: LoadOptions) {
    this.rand = prng(opts.seed ?? 7);
    this.dbs = Object.keys(opts.dbMap).map(Number);
    for (const db of this.dbs) this.next.set(db, 0);
    this.opsPerSec = opts.opsPerSec ?? 1_050;
    this.ttlShare = opts.ttlShare ?? 0.3;
    this.ttlMs = opts.ttlMs ?? [20_000, 120_000];
    this.mix = opts.mix ?? { create: 0.25, update: 0.55, delete: 0.2 };
  }

  /** Writes to the legacy primary, one connection per db (closes the previous sink). */
  async useLegacy(primary: { host: string; port: number }, name = 'app'): Promise<void> {
    const clients = new Map<number, Redis>();
    for (const db of this.dbs) {
      const c = new Redis({
        host: primary.host,
        port: primary.port,
        db,
        connectionName: name,
        disableClientInfo: true,
        lazyConnect: true,
      });
      c.on('error', () => undefined);
      await c.connect();
      clients.set(db, c);
    }
    await this.closeSink();
    this.sink = { kind: 'legacy', clients };
  }

  /** Writes to the target cluster, each db's keys under its prefix (closes the previous sink). */
  async useTarget(entry: { host: string; port: number }, name = 'app'): Promise<void> {
    const cluster = new Cluster([entry], {
      enableAutoPipelining: true,
      lazyConnect: true,
      redisOptions: { connectionName: name, disableClientInfo: true },
    });
    cluster.on('error', () => undefined);
    await cluster.connect();
    await this.closeSink();
    this.sink = { kind: 'target', cluster };
  }

  /** Creates `perDb` keys in every db as fast as the sink takes them (before the clock starts). */
  async seed(perDb: number): Promise<void> {
    const chunk = 1_000;
    for (let done = 0; done < perDb * this.dbs.length; done += chunk) {
      const ops: { db: number; cmds: Command[] }[] = [];
      for (let i = 0; i < chunk; i++) {
        const db = this.dbs[(done + i) % this.dbs.length] ?? 0;
        ops.push({ db, cmds: this.writeOf(db, this.newId(db)) });
      }
      await this.send(ops, false);
    }
    this.seeded += perDb * this.dbs.length;
  }

  /** Keys created by seed() (not part of the measured load). */
  seeded = 0;

  /** Starts (or resumes) writing at the configured rate. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.runStartedAt = Date.now();
    this.issuedThisRun = 0;
    this.loop = this.run();
  }

  /** Stops writing; resolves when the last batch was answered. */
  async pause(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.loop;
    this.activeBefore += Date.now() - this.runStartedAt;
  }

  /** Pauses and closes the connections: nothing of the application stays connected. */
  async stop(): Promise<void> {
    await this.pause();
    await this.closeSink();
  }

  stats(): LoadStats {
    const activeMs = this.activeBefore + (this.running ? Date.now() - this.runStartedAt : 0);
    return {
      ops: this.counters.ops,
      commands: this.counters.commands,
      errors: this.counters.errors,
      ...(this.counters.lastError ? { lastError: this.counters.lastError } : {}),
      activeMs,
      opsPerSec: activeMs > 0 ? (1000 * this.counters.ops) / activeMs : 0,
      commandsPerSec: activeMs > 0 ? (1000 * this.counters.commands) / activeMs : 0,
      byOp: { ...this.counters.byOp },
    };
  }

  /**
   * The same application, a new instance with its own connections: it goes on from the key ids
   * created so far (each target of a shared legacy gets its own copy of the load after the cutover).
   */
  fork(seed: number): AppLoad {
    const copy = new AppLoad({ ...this.opts, seed });
    for (const [db, id] of this.next) copy.next.set(db, id);
    return copy;
  }

  /** Keys ever created per db (ids below this may exist). */
  keyIds(db: number): number {
    return this.next.get(db) ?? 0;
  }

  private async closeSink(): Promise<void> {
    const sink = this.sink;
    this.sink = { kind: 'none' };
    if (sink.kind === 'legacy')
      await Promise.all([...sink.clients.values()].map((c) => c.quit().catch(() => c.disconnect())));
    if (sink.kind === 'target') await sink.cluster.quit().catch(() => sink.cluster.disconnect());
  }

  private async run(): Promise<void> {
    while (this.running) {
      const due = Math.floor((this.opsPerSec * (Date.now() - this.runStartedAt)) / 1000) - this.issuedThisRun;
      const n = Math.min(due, BATCH_MAX);
      if (n > 0) {
        this.issuedThisRun += n;
        const ops: { db: number; cmds: Command[] }[] = [];
        for (let i = 0; i < n; i++) ops.push(this.nextOp());
        await this.send(ops);
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
  }

  private nextOp(): { db: number; cmds: Command[] } {
    const db = this.dbs[Math.floor(this.rand() * this.dbs.length)] ?? 0;
    const r = this.rand();
    const known = this.next.get(db) ?? 0;
    if (r < this.mix.create || known === 0) {
      this.counters.byOp.create++;
      return { db, cmds: this.writeOf(db, this.newId(db)) };
    }
    const id = Math.floor(this.rand() * known);
    if (r < this.mix.create + this.mix.update) {
      this.counters.byOp.update++;
      return { db, cmds: this.writeOf(db, id) };
    }
    this.counters.byOp.delete++;
    return { db, cmds: [['del', this.keyOf(db, id)]] };
  }

  private newId(db: number): number {
    const id = this.next.get(db) ?? 0;
    this.next.set(db, id + 1);
    return id;
  }

  private kindOf(id: number): Kind {
    return KINDS[id % KINDS.length] ?? 'str';
  }

  private keyOf(db: number, id: number): string {
    const prefix = this.sink.kind === 'target' ? (this.opts.dbMap[String(db)] ?? '') : '';
    return `${prefix}${this.kindOf(id)}:${id}`;
  }

  /** Whether key id carries a TTL: a fixed share of ids, spread by a multiplicative hash. */
  private hasTtl(id: number): boolean {
    return ((Math.imul(id + 1, 0x9e3779b1) >>> 0) % 1000) / 1000 < this.ttlShare;
  }

  private writeOf(db: number, id: number): Command[] {
    const key = this.keyOf(db, id);
    const r = this.rand();
    const value = `${id}:${Date.now()}:${FILLER.slice(0, 20 + Math.floor(r * 180))}`;
    const ttl = this.hasTtl(id)
      ? Math.round(this.ttlMs[0] + this.rand() * (this.ttlMs[1] - this.ttlMs[0]))
      : undefined;
    const member = `m${Math.floor(r * 16)}`;
    const expire: Command[] = ttl ? [['pexpire', key, ttl]] : [];
    switch (this.kindOf(id)) {
      case 'str':
        return [ttl ? ['set', key, value, 'PX', ttl] : ['set', key, value]];
      case 'hash':
        return [['hset', key, `f${Math.floor(r * 8)}`, value], ...expire];
      case 'set':
        return [['sadd', key, member], ...expire];
      case 'zset':
        return [['zadd', key, Math.floor(r * 1000), member], ...expire];
      case 'list':
        return [['rpush', key, value], ['ltrim', key, -8, -1], ...expire];
    }
  }

  private async send(ops: { db: number; cmds: Command[] }[], measured = true): Promise<void> {
    const sink = this.sink;
    if (sink.kind === 'none') return;
    const count = (n: number) => {
      if (measured) this.counters.ops += n;
    };
    if (sink.kind === 'legacy') {
      const byDb = new Map<number, Command[][]>();
      for (const op of ops) {
        const list = byDb.get(op.db);
        if (list) list.push(op.cmds);
        else byDb.set(op.db, [op.cmds]);
      }
      await Promise.all(
        [...byDb].map(async ([db, list]) => {
          const client = sink.clients.get(db);
          if (!client) return;
          const pipe = client.pipeline();
          for (const cmds of list) for (const [name, ...args] of cmds) pipe.call(name, ...args);
          const replies = (await pipe.exec().catch((error: unknown) => [[error, null]])) ?? [];
          this.tally(
            replies.map(([error]) => error),
            measured,
          );
          count(list.length);
        }),
      );
      return;
    }
    const results = await Promise.all(
      ops.flatMap((op) =>
        op.cmds.map(([name, ...args]) =>
          sink.cluster.call(name, ...args).then(
            () => null,
            (error: unknown) => error,
          ),
        ),
      ),
    );
    this.tally(results, measured);
    count(ops.length);
  }

  private tally(errors: unknown[], measured = true): void {
    for (const error of errors) {
      if (!measured) {
        if (error) throw error;
        continue;
      }
      this.counters.commands++;
      if (error) {
        this.counters.errors++;
        this.counters.lastError = error instanceof Error ? error.message : String(error);
      }
    }
  }
}

/**
 * The service nobody moved: it keeps writing to one legacy db after the cutover, a few writes a
 * second, on its own connection.
 */
export class ForgottenService {
  private timer: NodeJS.Timeout | undefined;
  private n = 0;
  writes = 0;
  firstWriteAt: number | undefined;

  private constructor(private readonly client: Redis) {}

  static async start(
    primary: { host: string; port: number },
    opts: { db: number; perSec?: number },
  ): Promise<ForgottenService> {
    const client = new Redis({
      host: primary.host,
      port: primary.port,
      db: opts.db,
      connectionName: 'forgotten-service',
      disableClientInfo: true,
      lazyConnect: true,
    });
    client.on('error', () => undefined);
    await client.connect();
    const service = new ForgottenService(client);
    const every = Math.max(10, Math.round(1000 / (opts.perSec ?? 5)));
    service.timer = setInterval(() => {
      const i = service.n++;
      service.client.set(`forgotten:${i % 500}`, `still here ${i}`).then(
        () => {
          service.writes++;
          service.firstWriteAt ??= Date.now();
        },
        () => undefined,
      );
    }, every);
    return service;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
