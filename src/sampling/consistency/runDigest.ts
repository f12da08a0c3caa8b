import type { Redis } from 'ioredis';
import { LuaScript } from '../../redis/scripts.js';
import { type BinKey, binFromBuffer, binToArg } from './binaryKey.js';
import { DIGEST_LUA } from './digestScript.js';
import { DigestError } from './errors.js';

/** What the digest script saw for one key on one server. */
export interface KeyDigest {
  /** Redis type, `none` when the key does not exist. */
  type: string;
  /** PTTL: -1 no expiry, -2 missing. */
  pttl: number;
  /** Length / cardinality (STRLEN, HLEN, SCARD, ZCARD, LLEN, XLEN). */
  card: number;
  digest: string;
  /** Members probed in a big set/hash (binary strings); empty otherwise. */
  probes: BinKey[];
}

export const ABSENT: KeyDigest = { type: 'none', pttl: -2, card: 0, digest: '', probes: [] };

export interface DigestRequest {
  key: BinKey;
  /** Probe members chosen by the other side (big sets/hashes). */
  probes?: BinKey[];
}

export interface DigestOptions {
  /** Collections above this cardinality are compared by card + bounded digest. Default 1000. */
  bound?: number;
  /** Probes / head+tail elements for big collections. Default 16. */
  sampleN?: number;
  /** Server time per script call, µs. Default 2000 (2 ms). */
  budgetUs?: number;
  /** 'type' returns only type and PTTL (existence checks). */
  mode?: 'full' | 'type';
  /** Observed server time, for benchmarks. */
  stats?: DigestStats;
}

/** Server-time statistics of the digest script calls (read from TIME inside the script). */
export interface DigestStats {
  calls: number;
  keys: number;
  maxUs: number;
  totalUs: number;
  /** Server time of each call, µs (for percentiles). */
  callUs: number[];
  /** Keys digested by each call (same order as callUs). */
  callKeys: number[];
  /**
   * Benchmarks: called before each script call with the server's address; the function it returns is
   * called with the call's outcome (e.g. to read the server's scheduler counters around the call).
   */
  onCall?: (address: string) => (call: { keys: number; elapsedUs: number }) => void;
}

export function newDigestStats(): DigestStats {
  return { calls: 0, keys: 0, maxUs: 0, totalUs: 0, callUs: [], callKeys: [] };
}

// Adaptive batch size per connection: starts small, then aims at ~60 % of the budget from the
// measured µs per key, so the usual call ends by itself well under the budget.
const batchSizes = new WeakMap<Redis, number>();
const MIN_BATCH = 8;
const MAX_BATCH = 2000;
// ARGV payload per call stays small (bytes), so one call never carries a huge argument list.
const MAX_ARGV_BYTES = 512 * 1024;

function addressOf(client: Redis): string {
  const o = client.options;
  return o.path ? String(o.path) : `${o.host ?? '?'}:${o.port ?? '?'}`;
}

// EVAL on a connection's first call, EVALSHA after: no NOSCRIPT error reply on the nodes judged.
const digestScript = new LuaScript(DIGEST_LUA);

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v instanceof Buffer ? v.toString() : v);
}

function parseEntry(raw: unknown): KeyDigest {
  if (!Array.isArray(raw) || raw.length < 5) throw new Error('unexpected digest reply shape');
  const [type, pttl, card, digest, probes] = raw as [Buffer, unknown, unknown, Buffer, unknown];
  return {
    type: type.toString(),
    pttl: num(pttl),
    card: num(card),
    digest: digest.toString(),
    probes: Array.isArray(probes) ? (probes as Buffer[]).map(binFromBuffer) : [],
  };
}

/**
 * Digests `requests` on one server (a standalone node, a legacy db connection or one cluster
 * master), in budgeted script calls. Results are in request order.
 */
export async function runDigest(
  client: Redis,
  requests: readonly DigestRequest[],
  opts: DigestOptions = {},
): Promise<KeyDigest[]> {
  const bound = opts.bound ?? 1000;
  const sampleN = opts.sampleN ?? 16;
  const budgetUs = opts.budgetUs ?? 2000;
  const mode = opts.mode ?? 'full';
  const out: KeyDigest[] = [];
  // Without probes (the usual call) only the keys are sent, not a probe count per key.
  const plain = requests.every((r) => !r.probes || r.probes.length === 0);
  let idx = 0;
  while (idx < requests.length) {
    const size = batchSizes.get(client) ?? 64;
    const argv: (string | Buffer)[] = [
      String(bound),
      String(sampleN),
      String(budgetUs),
      mode,
      plain ? 'k' : 'p',
    ];
    let bytes = 0;
    let end = idx;
    while (end < requests.length && end - idx < size && bytes < MAX_ARGV_BYTES) {
      const r = requests[end] as DigestRequest;
      const probes = r.probes ?? [];
      argv.push(binToArg(r.key));
      if (!plain) argv.push(String(probes.length));
      bytes += r.key.length + 8;
      for (const p of probes) {
        argv.push(binToArg(p));
        bytes += p.length + 4;
      }
      end++;
    }
    let reply: unknown;
    const called = opts.stats?.onCall?.(addressOf(client));
    try {
      reply = await digestScript.callBuffer(client, argv);
    } catch (error) {
      throw new DigestError('the digest script failed', addressOf(client), { cause: error });
    }
    if (!Array.isArray(reply) || reply.length < 2) {
      throw new DigestError('the digest script returned an unexpected reply', addressOf(client));
    }
    const processed = num(reply[0]);
    const elapsedUs = num(reply[1]);
    if (processed < 1) throw new DigestError('the digest script processed no key', addressOf(client));
    for (let i = 0; i < processed; i++) out.push(parseEntry(reply[i + 2]));
    idx += processed;
    if (opts.stats) {
      opts.stats.calls++;
      opts.stats.keys += processed;
      opts.stats.totalUs += elapsedUs;
      opts.stats.maxUs = Math.max(opts.stats.maxUs, elapsedUs);
      opts.stats.callUs.push(elapsedUs);
      opts.stats.callKeys.push(processed);
      called?.({ keys: processed, elapsedUs });
    }
    const perKey = Math.max(elapsedUs / processed, 0.5);
    const next = Math.round((budgetUs * 0.6) / perKey);
    batchSizes.set(client, Math.min(MAX_BATCH, Math.max(MIN_BATCH, Math.round((size + next) / 2))));
  }
  return out;
}
