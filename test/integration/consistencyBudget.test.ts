import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { binFromText } from '../../src/sampling/consistency/binaryKey.js';
import { newDigestStats, runDigest } from '../../src/sampling/consistency/runDigest.js';
import { useStandalone } from '../support/topologies.js';

const server = useStandalone();
let client: Redis;

beforeAll(() => {
  // A connection of its own: the adaptive batch size is kept per connection.
  client = new Redis({ host: server().node.host, port: server().node.port, db: 9 });
});
afterAll(async () => {
  await client.quit();
});
beforeEach(async () => {
  await client.flushdb();
});

const keys = (...names: string[]) => names.map((n) => ({ key: binFromText(n) }));

describe('runDigest server-time budget', () => {
  it('ends a call before an expensive key that would run past the budget and digests it in the next call', async () => {
    const small = Array.from({ length: 10 }, (_, i) => `s:${i}`);
    const after = Array.from({ length: 5 }, (_, i) => `t:${i}`);
    for (const k of [...small, ...after]) await client.set(k, 'v');
    // 1000 members: estimated at 1.6 ms, more than what is left of a 1 ms budget after ten strings.
    await client.zadd('z', ...Array.from({ length: 1000 }, (_, e) => [e, `m${e}`]).flat());
    const stats = newDigestStats();

    const out = await runDigest(client, keys(...small, 'z', ...after), { budgetUs: 1000, stats });

    expect(out.map((d) => d.type)).toEqual([
      ...small.map(() => 'string'),
      'zset',
      ...after.map(() => 'string'),
    ]);
    expect(out[10]?.card).toBe(1000);
    expect(stats.callKeys[0]).toBe(10);
    expect(stats.callKeys.reduce((a, b) => a + b, 0)).toBe(16);
  });

  it('digests a string above 256 KiB by its length and its first and last 64 KiB', async () => {
    const big = 'x'.repeat(300 * 1024);
    const middle = 150 * 1024;
    await client.set('big', big);
    await client.set('big:middle', `${big.slice(0, middle)}y${big.slice(middle + 1)}`);
    await client.set('big:tail', `${big.slice(0, -1)}y`);
    const medium = 'x'.repeat(200 * 1024);
    await client.set('medium', medium);
    await client.set('medium:middle', `${medium.slice(0, 100 * 1024)}y${medium.slice(100 * 1024 + 1)}`);

    const [b, bMiddle, bTail, m, mMiddle] = await runDigest(
      client,
      keys('big', 'big:middle', 'big:tail', 'medium', 'medium:middle'),
    );

    expect(b?.card).toBe(300 * 1024);
    expect(bMiddle?.digest).toBe(b?.digest);
    expect(bTail?.digest).not.toBe(b?.digest);
    expect(mMiddle?.digest).not.toBe(m?.digest);
  });
});
