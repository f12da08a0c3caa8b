import type { Cluster, Redis } from 'ioredis';

/**
 * A tiny CDC tool for the demo: it plays the open-source replication tool of the migration story.
 * It subscribes to keyspace notifications on the legacy primary and copies every touched key to the
 * target (DUMP/RESTORE — fine for copying, never for comparing), under the db's mapped prefix,
 * after `delayMs` (the replication lag).
 */
export interface Copier {
  /** Copies every existing key once (the initial full sync). */
  fullSync(): Promise<number>;
  stop(): Promise<void>;
  paused: boolean;
}

export async function startCopier(opts: {
  legacy: (db: number) => Redis;
  subscriber: Redis;
  target: Redis | Cluster;
  dbMap: Record<string, string>;
  delayMs: number;
}): Promise<Copier> {
  const dbs = Object.keys(opts.dbMap).map(Number);
  await opts.legacy(0).config('SET', 'notify-keyspace-events', 'KA');
  const timers = new Set<NodeJS.Timeout>();
  const copier: Copier = {
    paused: false,
    async fullSync() {
      let copied = 0;
      for (const db of dbs) {
        let cursor = '0';
        do {
          const [next, keys] = await opts.legacy(db).scan(cursor, 'COUNT', 500);
          cursor = next;
          for (const key of keys) {
            await copyKey(db, key);
            copied++;
          }
        } while (cursor !== '0');
      }
      return copied;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      await opts.subscriber.quit().catch(() => undefined);
    },
  };

  async function copyKey(db: number, key: string) {
    const prefix = opts.dbMap[String(db)] ?? '';
    const source = opts.legacy(db);
    const [dump, pttl] = await Promise.all([source.dumpBuffer(key), source.pttl(key)]);
    if (dump === null) {
      await opts.target.del(prefix + key);
      return;
    }
    await opts.target.restore(prefix + key, Math.max(pttl, 0), dump, 'REPLACE');
  }

  // Keyspace notifications: the channel is `__keyspace@<db>__:<key>`, the message is the event (set, del…).
  opts.subscriber.on('pmessage', (_pattern: string, channel: string) => {
    const m = /^__keyspace@(\d+)__:(.*)$/s.exec(channel);
    if (!m) return;
    const db = Number(m[1]);
    const key = m[2] ?? '';
    if (copier.paused || !dbs.includes(db)) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      copyKey(db, key).catch(() => undefined);
    }, opts.delayMs);
    timers.add(timer);
  });
  await opts.subscriber.psubscribe('__keyspace@*__:*');
  return copier;
}
