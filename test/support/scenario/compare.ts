import { Cluster, Redis } from 'ioredis';

/**
 * Every key of the legacy dbs against the target, type-aware (DUMP is no fingerprint): for the
 * harness's own tests, which prove the CDC stand-in copies faithfully and plays its faults as said.
 * Only on a quiet keyspace (the load paused, the CDC drained).
 */
export interface CompareResult {
  legacyKeys: number;
  targetKeys: number;
  missing: number;
  extra: number;
  typeDiffers: number;
  valueDiffers: number;
  /** Values equal but the count differs: cannot happen for equal values; kept to check the fault says "count equal". */
  countDiffers: number;
  /** TTL on one side only. */
  ttlPresenceDiffers: number;
  /** Keys with a TTL on legacy. */
  legacyWithTtl: number;
}

type Reader = Pick<
  Redis,
  | 'type'
  | 'pttl'
  | 'get'
  | 'hgetall'
  | 'smembers'
  | 'zrange'
  | 'lrange'
  | 'strlen'
  | 'hlen'
  | 'scard'
  | 'zcard'
  | 'llen'
>;

async function readValue(
  c: Reader,
  key: string,
): Promise<{ type: string; value: string; count: number; pttl: number }> {
  const type = await c.type(key);
  const pttl = await c.pttl(key);
  switch (type) {
    case 'string':
      return { type, value: (await c.get(key)) ?? '', count: await c.strlen(key), pttl };
    case 'hash': {
      const h = await c.hgetall(key);
      return { type, value: JSON.stringify(Object.entries(h).sort()), count: await c.hlen(key), pttl };
    }
    case 'set':
      return { type, value: JSON.stringify((await c.smembers(key)).sort()), count: await c.scard(key), pttl };
    case 'zset':
      return {
        type,
        value: JSON.stringify(await c.zrange(key, 0, -1, 'WITHSCORES')),
        count: await c.zcard(key),
        pttl,
      };
    case 'list':
      return { type, value: JSON.stringify(await c.lrange(key, 0, -1)), count: await c.llen(key), pttl };
    default:
      return { type, value: '', count: 0, pttl };
  }
}

export async function compareAll(opts: {
  legacy: { host: string; port: number };
  target: { host: string; port: number };
  dbMap: Readonly<Record<string, string>>;
}): Promise<CompareResult> {
  const out: CompareResult = {
    legacyKeys: 0,
    targetKeys: 0,
    missing: 0,
    extra: 0,
    typeDiffers: 0,
    valueDiffers: 0,
    countDiffers: 0,
    ttlPresenceDiffers: 0,
    legacyWithTtl: 0,
  };
  const cluster = new Cluster([opts.target], {
    enableAutoPipelining: true,
    redisOptions: { disableClientInfo: true },
  });
  cluster.on('error', () => undefined);
  const seenOnTarget = new Set<string>();
  try {
    for (const [db, prefix] of Object.entries(opts.dbMap)) {
      const legacy = new Redis({
        ...opts.legacy,
        db: Number(db),
        enableAutoPipelining: true,
        disableClientInfo: true,
      });
      legacy.on('error', () => undefined);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await legacy.scan(cursor, 'COUNT', 500);
          cursor = next;
          const pairs = await Promise.all(
            keys
              .filter((k) => !k.startsWith('__soakwatch:'))
              .map(async (k) => ({
                k,
                l: await readValue(legacy, k),
                t: await readValue(cluster as unknown as Reader, prefix + k),
              })),
          );
          for (const { k, l, t } of pairs) {
            if (l.type === 'none') continue;
            out.legacyKeys++;
            if (l.pttl >= 0) out.legacyWithTtl++;
            if (t.type === 'none') {
              out.missing++;
              continue;
            }
            seenOnTarget.add(prefix + k);
            if (l.type !== t.type) out.typeDiffers++;
            else if (l.value !== t.value) out.valueDiffers++;
            if (l.type === t.type && l.count !== t.count) out.countDiffers++;
            if (l.pttl >= 0 !== t.pttl >= 0) out.ttlPresenceDiffers++;
          }
        } while (cursor !== '0');
      } finally {
        legacy.disconnect();
      }
    }
    for (const node of cluster.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) {
          if (k.startsWith('__soakwatch:')) continue;
          out.targetKeys++;
          if (!seenOnTarget.has(k)) out.extra++;
        }
      } while (cursor !== '0');
    }
    return out;
  } finally {
    cluster.disconnect();
  }
}
