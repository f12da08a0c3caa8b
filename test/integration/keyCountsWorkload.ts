import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import type { RedisProcess } from '../../tools/local/index.js';

// Test support for the key-count and data-loss tests: a bulk loader and a small application that
// writes at a steady rate (creates, updates, deletes, a share of keys with a TTL, a keyspace that
// grows). Not soakwatch: the workload soakwatch watches.

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Direct connections to every master of a cluster, with the slot owner of each key. */
export async function clusterRouter(masters: RedisProcess[]): Promise<{
  clients: Redis[];
  route(key: string): Redis;
  close(): void;
}> {
  const clients = masters.map((m) => new Redis({ port: m.port, lazyConnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  const owner = new Array<Redis>(16_384);
  for (const c of clients) {
    const slots = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    for (const [from, to, [, port]] of slots) {
      const client = clients[masters.findIndex((m) => m.port === port)];
      if (client) for (let s = from; s <= to; s++) owner[s] = client;
    }
  }
  return {
    clients,
    route: (key) => {
      const c = owner[calculateSlot(key)];
      if (!c) throw new Error(`no master owns the slot of ${key}`);
      return c;
    },
    close: () => {
      for (const c of clients) c.disconnect();
    },
  };
}

/**
 * `count` keys `k:<i>` into each place (pipelined): a share `ttlShare` with a TTL (`ttlSeconds`, one
 * hour by default). `into` gives, per key, the client and the name it is written under.
 */
export async function load(
  count: number,
  into: (key: string) => { client: Redis; key: string }[],
  ttlShare = 0.3,
  ttlSeconds: (i: number) => number = () => 3600,
): Promise<void> {
  const batch = 5_000;
  for (let start = 0; start < count; start += batch) {
    const pipes = new Map<Redis, ReturnType<Redis['pipeline']>>();
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const ttl = (i * 7919) % 100 < ttlShare * 100 ? ['EX', String(ttlSeconds(i))] : [];
      for (const { client, key } of into(`k:${i}`)) {
        let pipe = pipes.get(client);
        if (!pipe) {
          pipe = client.pipeline();
          pipes.set(client, pipe);
        }
        pipe.call('SET', key, `v${i}`, ...ttl);
      }
    }
    await Promise.all([...pipes.values()].map((p) => p.exec()));
  }
}

export interface Writer {
  /** Writes sent so far, by kind. */
  readonly counts: { creates: number; updates: number; deletes: number };
  stop(): Promise<void>;
}

/**
 * An application writing `perSecond` operations a second, spread over `targets` (one client per db or
 * prefix): 45 % creates (30 % of them with a TTL of 20–60 s), 35 % updates, 20 % deletes of its own
 * keys, so the keyspace grows. Batches every 10 ms, pipelined. Keys it writes start with `w:`; the
 * loaded `k:` keys are left alone.
 */
export function startWriter(
  targets: { client: (key: string) => Redis; prefix: string }[],
  perSecond: number,
  opts: { mix?: { creates: number; updates: number }; seed?: number } = {},
): Writer {
  const mix = opts.mix ?? { creates: 0.45, updates: 0.35 };
  let state = opts.seed ?? 1;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const alive = targets.map(() => [] as string[]);
  let next = 0;
  const counts = { creates: 0, updates: 0, deletes: 0 };
  let running = true;
  let owed = 0;
  let last = Date.now();
  const loop = (async () => {
    while (running) {
      const now = Date.now();
      owed += ((now - last) * perSecond) / 1000;
      last = now;
      const ops = Math.floor(owed);
      owed -= ops;
      const pipes = new Map<Redis, ReturnType<Redis['pipeline']>>();
      const pipeOf = (c: Redis) => {
        let p = pipes.get(c);
        if (!p) {
          p = c.pipeline();
          pipes.set(c, p);
        }
        return p;
      };
      for (let i = 0; i < ops; i++) {
        const t = Math.floor(random() * targets.length);
        const target = targets[t];
        const own = alive[t];
        if (!target || !own) continue;
        const r = random();
        if (r < mix.creates || own.length === 0) {
          const key = `${target.prefix}w:${next++}`;
          const ttl = random() < 0.3 ? ['EX', String(20 + Math.floor(random() * 40))] : [];
          pipeOf(target.client(key)).call('SET', key, 'x'.repeat(32), ...ttl);
          own.push(key);
          counts.creates++;
        } else {
          const at = Math.floor(random() * own.length);
          const key = own[at] as string;
          if (r < mix.creates + mix.updates) {
            pipeOf(target.client(key)).call('SET', key, 'y'.repeat(32));
            counts.updates++;
          } else {
            own[at] = own[own.length - 1] as string;
            own.pop();
            pipeOf(target.client(key)).call('DEL', key);
            counts.deletes++;
          }
        }
      }
      await Promise.all([...pipes.values()].map((p) => p.exec()));
      await sleep(10);
    }
  })();
  return {
    counts,
    async stop() {
      running = false;
      await loop;
    },
  };
}
