import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/scripts.js';
import { type BinKey, binToBuffer } from './consistency/binaryKey.js';
import { DigestError } from './consistency/errors.js';

/**
 * Server-side PTTL of a batch of keys, for the per-prefix counter's count of keys without expiry.
 *
 * Keys travel in ARGV (a page holds keys of many slots, all local to the node that SCANned them);
 * no `#!lua` shebang, so the pre-7 rules that allow cross-slot keys apply (as in the digest script).
 * ARGV: budgetUs, then the keys. Reply: { processed, elapsedUs, flags } where flags holds one
 * character per processed key: `1` no expiry, `0` has a TTL, `-` gone.
 * TIME is read every 64 keys: once the budget is spent the script stops and the caller sends the rest.
 */
export const PERSISTENT_FLAGS_LUA = `
local budgetUs = tonumber(ARGV[1])
local function nowUs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local start = nowUs()
local flags = {}
local n = #ARGV
for i = 2, n do
  local p = redis.call('PTTL', ARGV[i])
  if p == -1 then
    flags[#flags + 1] = '1'
  elseif p == -2 then
    flags[#flags + 1] = '-'
  else
    flags[#flags + 1] = '0'
  end
  if (i - 1) % 64 == 0 and i < n and nowUs() - start >= budgetUs then
    break
  end
end
return { #flags, nowUs() - start, table.concat(flags) }
`;

export const PERSISTENT_FLAGS_SHA = createHash('sha1').update(PERSISTENT_FLAGS_LUA).digest('hex');

/** What one key's PTTL said: no expiry, a TTL, or the key is gone. */
export type PersistenceFlag = 'persistent' | 'volatile' | 'gone';

export interface PersistentFlagsOptions {
  /** Server time per script call, µs. Default 2000 (2 ms). */
  budgetUs?: number;
  /** Keys per call at most (the budget usually ends a call long before). Default 1000. */
  maxKeysPerCall?: number;
  /** Server time of each call, µs (benchmarks, tests). */
  callUs?: number[];
}

const FLAG: Record<string, PersistenceFlag> = { '1': 'persistent', '0': 'volatile', '-': 'gone' };

function addressOf(client: Redis): string {
  const o = client.options;
  return o.path ? String(o.path) : `${o.host ?? '?'}:${o.port ?? '?'}`;
}

// EVAL on a connection's first call, EVALSHA after: no NOSCRIPT error reply on the nodes judged.
const flagsScript = new LuaScript(PERSISTENT_FLAGS_LUA);

/** Parses one reply of the script; throws on a reply of another shape. */
export function parseFlagsReply(reply: unknown): {
  processed: number;
  elapsedUs: number;
  flags: PersistenceFlag[];
} {
  if (!Array.isArray(reply) || reply.length !== 3) throw new Error('unexpected reply shape');
  const [processed, elapsedUs, text] = reply as [unknown, unknown, unknown];
  const flagText = typeof text === 'string' ? text : text instanceof Buffer ? text.toString() : '';
  if (typeof processed !== 'number' || typeof elapsedUs !== 'number' || flagText.length !== processed) {
    throw new Error('unexpected reply shape');
  }
  const flags = [...flagText].map((c) => {
    const flag = FLAG[c];
    if (!flag) throw new Error(`unexpected flag ${JSON.stringify(c)}`);
    return flag;
  });
  return { processed, elapsedUs, flags };
}

/**
 * Whether each key (all on `client`'s node) has no expiry, in budgeted script calls; results in key order.
 * Failures become a DigestError naming the node.
 */
export async function persistentFlags(
  client: Redis,
  keys: readonly BinKey[],
  opts: PersistentFlagsOptions = {},
): Promise<PersistenceFlag[]> {
  const budgetUs = opts.budgetUs ?? 2000;
  const maxKeys = opts.maxKeysPerCall ?? 1000;
  const out: PersistenceFlag[] = [];
  let idx = 0;
  while (idx < keys.length) {
    const batch = keys.slice(idx, idx + maxKeys).map(binToBuffer);
    let parsed: ReturnType<typeof parseFlagsReply>;
    try {
      parsed = parseFlagsReply(await flagsScript.call(client, [String(budgetUs), ...batch]));
    } catch (error) {
      throw new DigestError('the key expiry script failed', addressOf(client), { cause: error });
    }
    if (parsed.processed < 1)
      throw new DigestError('the key expiry script processed no key', addressOf(client));
    out.push(...parsed.flags);
    idx += parsed.processed;
    opts.callUs?.push(parsed.elapsedUs);
  }
  return out;
}
