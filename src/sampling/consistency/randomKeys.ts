import type { Redis } from 'ioredis';
import { type BinKey, binFromBuffer } from './binaryKey.js';
import { mastersOf, type Target } from './targetRoute.js';

/** `k` pipelined RANDOMKEY draws (with replacement; an empty db gives none). */
export async function randomDraws(client: Redis, k: number): Promise<BinKey[]> {
  if (k <= 0) return [];
  const pipe = client.pipeline();
  for (let i = 0; i < k; i++) pipe.randomkeyBuffer();
  const replies = (await pipe.exec()) ?? [];
  const keys: BinKey[] = [];
  for (const [error, value] of replies) {
    if (error) throw error;
    if (value instanceof Buffer) keys.push(binFromBuffer(value));
  }
  return keys;
}

/** Up to `k` distinct random keys of one server/db. */
export async function randomKeysOf(client: Redis, k: number): Promise<BinKey[]> {
  return [...new Set(await randomDraws(client, k))];
}

/** DBSIZE of every master of the target. */
export function masterSizes(target: Target): Promise<{ master: Redis; size: number }[]> {
  return Promise.all(mastersOf(target).map(async (master) => ({ master, size: await master.dbsize() })));
}

/**
 * How many of `k` draws land on each master when a draw picks a master with probability
 * size / total (multinomial), so a random key of the whole keyspace is (about) uniform.
 */
export function allocateDraws(sizes: readonly number[], k: number, random: () => number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out = sizes.map(() => 0);
  if (total === 0) return out;
  for (let i = 0; i < k; i++) {
    let r = random() * total;
    let j = 0;
    while (j < sizes.length - 1 && r >= (sizes[j] ?? 0)) {
      r -= sizes[j] ?? 0;
      j++;
    }
    out[j] = (out[j] ?? 0) + 1;
  }
  return out;
}

/**
 * `k` random draws over the whole target (masters weighted by DBSIZE, with replacement), and the
 * total DBSIZE they were drawn from.
 */
export async function drawTarget(
  target: Target,
  k: number,
  random: () => number,
): Promise<{ keys: BinKey[]; total: number }> {
  const sizes = await masterSizes(target);
  const draws = allocateDraws(
    sizes.map((s) => s.size),
    k,
    random,
  );
  const parts = await Promise.all(sizes.map((s, i) => randomDraws(s.master, draws[i] ?? 0)));
  return { keys: parts.flat(), total: sizes.reduce((a, s) => a + s.size, 0) };
}

/** Up to `k` distinct random keys of the whole target, masters weighted by DBSIZE. */
export async function randomTargetKeys(target: Target, k: number, random: () => number): Promise<BinKey[]> {
  return [...new Set((await drawTarget(target, k, random)).keys)];
}
