import type { Cluster, Redis } from 'ioredis';
import { ConsistencyError, ConsistencyInputError } from './consistency/errors.js';

export interface HeartbeatOptions {
  /** Legacy primary, connected to the configured db. */
  legacyDb: Redis;
  target: Redis | Cluster;
  /** Heartbeat key on legacy, e.g. `__soakwatch:hb:{tenant}`. */
  key: string;
  /** The same key on the target, with the db's dbMap prefix. */
  targetKey: string;
  /** Increasing sequence number of this heartbeat. */
  seq: number;
  /** The sampler's clock (epoch ms): both timestamps come from it, so server clock skew is irrelevant. */
  now: () => number;
  /** How long to wait for the value to appear on the target. */
  budgetMs: number;
  /** Poll interval on the target. Default 10 ms. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export type HeartbeatResult = (
  | { cdcLagMs: number; censored: false }
  /** Not seen within the budget: the lag is at least `atLeastMs`. */
  | { atLeastMs: number; censored: true; readError?: string }
) & {
  /** Bytes of soakwatch's write in the legacy replication stream (SET as RESP), to take out of offset growth. */
  bytesWritten: number;
  /** What was written: `seq:epochMs`. */
  value: string;
};

/** Heartbeat write failed on legacy. */
export class HeartbeatError extends ConsistencyError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HeartbeatError';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Size in bytes of a command as a RESP array of bulk strings (what the replication stream carries). */
export function respBytes(args: readonly string[]): number {
  let n = `*${args.length}\r\n`.length;
  for (const a of args) {
    const len = Buffer.byteLength(a);
    n += `$${len}\r\n`.length + len + 2;
  }
  return n;
}

/** Parses `seq:epochMs`; null when the value is not a heartbeat. */
export function parseHeartbeat(value: string | null): { seq: number; at: number } | null {
  if (value === null) return null;
  const m = /^(\d+):(\d+)$/.exec(value);
  if (!m) return null;
  return { seq: Number(m[1]), at: Number(m[2]) };
}

/**
 * Writes `seq:epochMs` on legacy and polls the target until that seq (or a later one) shows up:
 * the end-to-end CDC lag as the sampler sees it, or "at least N ms" when the budget ends first.
 */
export async function heartbeat(opts: HeartbeatOptions): Promise<HeartbeatResult> {
  if (!Number.isInteger(opts.seq) || opts.seq < 0)
    throw new ConsistencyInputError('seq', 'must be an integer ≥ 0');
  if (!(opts.budgetMs >= 0)) throw new ConsistencyInputError('budgetMs', 'must be a number ≥ 0');
  const pollMs = opts.pollMs ?? 10;
  const sleep = opts.sleep ?? defaultSleep;
  const written = opts.now();
  const value = `${opts.seq}:${written}`;
  // No TTL: a plain SET is propagated unchanged (Redis 7 rewrites PX into PXAT), so the byte count is exact
  // apart from a SELECT the replication stream may need first.
  const bytesWritten = respBytes(['SET', opts.key, value]);
  try {
    await opts.legacyDb.set(opts.key, value);
  } catch (error) {
    throw new HeartbeatError('could not write the heartbeat key on the legacy primary', { cause: error });
  }
  let readError: string | undefined;
  for (;;) {
    try {
      const seen = parseHeartbeat(await opts.target.get(opts.targetKey));
      readError = undefined;
      if (seen && seen.seq >= opts.seq) {
        return { cdcLagMs: Math.max(0, opts.now() - written), censored: false, bytesWritten, value };
      }
    } catch (error) {
      readError = error instanceof Error ? error.message : String(error);
    }
    const elapsed = opts.now() - written;
    if (elapsed >= opts.budgetMs) {
      return {
        atLeastMs: elapsed,
        censored: true,
        ...(readError ? { readError } : {}),
        bytesWritten,
        value,
      };
    }
    await sleep(Math.min(pollMs, opts.budgetMs - elapsed));
  }
}
