import type { Cluster, Redis } from 'ioredis';
import { binFromText } from '../../../src/sampling/consistency/binaryKey.js';
import { groupByMaster } from '../../../src/sampling/consistency/targetRoute.js';

/**
 * Deterministic mixed data for consistency tests and the benchmark: the same call on a legacy db
 * and on the target (with the db's prefix) writes identical data.
 * Key i: type by i % 10 (0-4 string, 5 hash, 6 set, 7 zset, 8 list, 9 stream); every 7th key has a
 * TTL ending at `expireAt` (absolute, so both sides agree); `big` extra keys per collection type hold
 * `bigCard` elements.
 */
export interface MixedData {
  count: number;
  /** Absolute expiry (epoch ms) of the keys with a TTL. */
  expireAt: number;
  big?: number;
  bigCard?: number;
  keyName?: (i: number) => string;
}

export const defaultKeyName = (i: number) => `k:${i}`;

type Cmd = [string, ...(string | number)[]];

/** The commands that create key i (without prefix). */
export function commandsFor(i: number, key: string, data: MixedData): Cmd[] {
  const kind = i % 10;
  const cmds: Cmd[] = [];
  if (kind <= 4) cmds.push(['SET', key, `value-${i}-${'x'.repeat(i % 40)}`]);
  else if (kind === 5)
    cmds.push(['HSET', key, 'a', `${i}`, 'b', 'two', 'c', `${i * 3}`, 'long', 'y'.repeat(30)]);
  else if (kind === 6) cmds.push(['SADD', key, 'm1', 'm2', `m${i}`, 'zz', '0']);
  else if (kind === 7) cmds.push(['ZADD', key, 1, 'a', 2.5, 'b', 0.1, 'c', i, `m${i}`, -3, 'neg']);
  else if (kind === 8) cmds.push(['RPUSH', key, 'l1', `l${i}`, 'l1', 'last']);
  else cmds.push(['XADD', key, '1-1', 'f', `${i}`, 'g', 'h'], ['XADD', key, '2-0', 'only', 'one']);
  if (i % 7 === 0) cmds.push(['PEXPIREAT', key, data.expireAt]);
  return cmds;
}

/** Commands for the big collections (card `bigCard`). */
export function bigCommands(j: number, data: MixedData): { key: string; cmds: Cmd[] }[] {
  const card = data.bigCard ?? 3000;
  const n = (f: (e: number) => (string | number)[]) => Array.from({ length: card }, (_, e) => f(e)).flat();
  return [
    { key: `big:hash:${j}`, cmds: [['HSET', `big:hash:${j}`, ...n((e) => [`f${e}`, `v${e}`])]] },
    { key: `big:set:${j}`, cmds: [['SADD', `big:set:${j}`, ...n((e) => [`m${e}`])]] },
    { key: `big:zset:${j}`, cmds: [['ZADD', `big:zset:${j}`, ...n((e) => [e % 17, `m${e}`])]] },
    { key: `big:list:${j}`, cmds: [['RPUSH', `big:list:${j}`, ...n((e) => [`e${e}`])]] },
    {
      key: `big:stream:${j}`,
      cmds: Array.from(
        { length: Math.min(card, 1500) },
        (_, e): Cmd => ['XADD', `big:stream:${j}`, `${e + 1}-0`, 'f', `${e}`],
      ),
    },
  ];
}

/** All (key, commands) of a data set, keys without prefix. */
export function* dataset(data: MixedData): Generator<{ key: string; cmds: Cmd[] }> {
  const name = data.keyName ?? defaultKeyName;
  for (let i = 0; i < data.count; i++) {
    const key = name(i);
    yield { key, cmds: commandsFor(i, key, data) };
  }
  for (let j = 0; j < (data.big ?? 0); j++) yield* bigCommands(j, data);
}

async function runChunk(client: Redis, cmds: Cmd[]): Promise<void> {
  const pipe = client.pipeline();
  for (const [name, ...args] of cmds) pipe.call(name, ...args);
  const res = (await pipe.exec()) ?? [];
  for (const [error] of res) if (error) throw error;
}

/** Loads a data set into a standalone db (client already SELECTed) or a target, keys under `prefix`. */
export async function loadMixed(
  client: Redis | Cluster,
  data: MixedData,
  prefix = '',
  chunk = 5000,
): Promise<number> {
  let written = 0;
  let batch: { key: string; cmds: Cmd[] }[] = [];
  const flush = async () => {
    const prefixed = batch.map((b) => ({
      key: prefix + b.key,
      cmds: b.cmds.map(([name, key, ...rest]): Cmd => [name, prefix + String(key), ...rest]),
    }));
    if (client.isCluster) {
      const groups = groupByMaster(
        client,
        prefixed.map((b) => binFromText(b.key)),
      );
      await Promise.all(
        [...groups].map(([master, idxs]) =>
          runChunk(
            master,
            idxs.flatMap((i) => prefixed[i]?.cmds ?? []),
          ),
        ),
      );
    } else {
      await runChunk(
        client as Redis,
        prefixed.flatMap((b) => b.cmds),
      );
    }
    written += batch.length;
    batch = [];
  };
  for (const item of dataset(data)) {
    batch.push(item);
    if (batch.length >= chunk) await flush();
  }
  if (batch.length > 0) await flush();
  return written;
}
