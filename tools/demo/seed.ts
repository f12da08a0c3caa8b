import type { Redis } from 'ioredis';

/** Writes `count` keys of every type (a tenth with a TTL) into each legacy db; returns how many. */
export async function seed(legacyDb: (db: number) => Redis, counts: Record<string, number>): Promise<number> {
  let total = 0;
  for (const [db, count] of Object.entries(counts)) {
    const pipe = legacyDb(Number(db)).pipeline();
    for (let i = 0; i < count; i++) {
      const key = `k:${i}`;
      switch (i % 5) {
        case 0:
          pipe.set(`str:${key}`, `value-${i}`);
          break;
        case 1:
          pipe.hset(`hash:${key}`, { a: i, b: `b${i}`, c: 'c' });
          break;
        case 2:
          pipe.sadd(`set:${key}`, 'x', 'y', String(i));
          break;
        case 3:
          pipe.zadd(`zset:${key}`, 1, 'one', 2, 'two', i, `m${i}`);
          break;
        default:
          pipe.rpush(`list:${key}`, 'a', 'b', String(i));
      }
      if (i % 10 === 0)
        pipe.pexpire(
          [`str:${key}`, `hash:${key}`, `set:${key}`, `zset:${key}`, `list:${key}`][i % 5] ?? '',
          3_600_000,
        );
    }
    await pipe.exec();
    total += count;
  }
  return total;
}
