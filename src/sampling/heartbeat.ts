import type { Cluster, Redis } from 'ioredis';
import { withTimeout } from '../redis/nodeClient.js';
import { ConsistencyError, ConsistencyInputError } from './consistency/errors.js';

/** One heartbeat write: its sequence number and when it was made (the sampler's clock). */
export interface HeartbeatWrite {
  seq: number;
  at: number;
}

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
  /**
   * How long to poll the target for the value, from the write on (the sampler's clock). Short: a
   * heartbeat not seen by then is a censored lag, never a longer wait.
   */
  budgetMs: number;
  /**
   * Earlier writes not seen on the target when their tick ended (oldest first; carried from the
   * previous sample): while they stay unseen, the censored lag is measured from the oldest of them.
   */
  unseen?: readonly HeartbeatWrite[];
  /** Poll interval on the target. Default 10 ms. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export type HeartbeatResult = (
  | { cdcLagMs: number; censored: false }
  /**
   * Not seen within the budget: the lag is at least `atLeastMs`, measured from the oldest write not yet
   * seen on the target (`since`), so a stalled CDC shows a lag that grows every tick.
   */
  | { atLeastMs: number; censored: true; since: number; readError?: string }
) & {
  /** Bytes of soakwatch's write in the legacy replication stream (SET as RESP), to take out of offset growth. */
  bytesWritten: number;
  /** What was written: `seq:epochMs`. */
  value: string;
  /** Writes not seen on the target at the end (oldest first; empty when this one was seen): the next tick's `unseen`. */
  unseen: HeartbeatWrite[];
  /**
   * When the newest heartbeat the target showed was written (the sampler's clock): legacy's writes up to
   * then have reached the target. Null when the target showed none (or could not be read).
   */
  appliedUpTo: number | null;
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

/** Unseen writes kept from tick to tick at most: the oldest (the censored lag's origin) and the latest ones. */
export const MAX_UNSEEN_WRITES = 16;

/** The writes still unseen once the target shows `seenSeq` (null: nothing readable), capped to MAX_UNSEEN_WRITES. */
export function stillUnseen(writes: readonly HeartbeatWrite[], seenSeq: number | null): HeartbeatWrite[] {
  const left = writes.filter((w) => seenSeq === null || w.seq > seenSeq);
  // Dropping middle ones keeps the lower bound safe: the oldest kept write is never older than the true oldest.
  return left.length <= MAX_UNSEEN_WRITES
    ? left
    : [left[0] as HeartbeatWrite, ...left.slice(-(MAX_UNSEEN_WRITES - 1))];
}

/**
 * Writes `seq:epochMs` on legacy and polls the target for at most `budgetMs` until that seq (or a
 * later one) shows up: the end-to-end CDC lag as the sampler sees it, or "at least N ms" when the poll
 * ends first — N measured from the oldest write (this one or an earlier tick's) the target has not shown.
 * Each target read is bounded by what is left of the poll (a frozen node does not hold it up).
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
  // Earlier writes with a later seq than this one (a clock that went back) say nothing about this one.
  const writes = [...(opts.unseen ?? []).filter((w) => w.seq < opts.seq), { seq: opts.seq, at: written }];
  let readError: string | undefined;
  let seenSeq: number | null = null;
  let appliedUpTo: number | null = null;
  // Earlier writes bound the lag only once the target was read and did not show them.
  let readOnce = false;
  for (;;) {
    const left = opts.budgetMs - (opts.now() - written);
    try {
      const read = opts.target.get(opts.targetKey);
      const seen = parseHeartbeat(
        await withTimeout(read, Math.max(1, left), () => new Error(`no answer within the heartbeat poll`)),
      );
      readError = undefined;
      readOnce = true;
      if (seen && seen.seq >= (seenSeq ?? 0)) {
        seenSeq = seen.seq;
        appliedUpTo = seen.at;
      }
      if (seen && seen.seq >= opts.seq) {
        return {
          cdcLagMs: Math.max(0, opts.now() - written),
          censored: false,
          bytesWritten,
          value,
          unseen: [],
          appliedUpTo: Math.max(written, seen.at),
        };
      }
    } catch (error) {
      readError = error instanceof Error ? error.message : String(error);
    }
    const elapsed = opts.now() - written;
    if (elapsed >= opts.budgetMs) {
      const unseen = stillUnseen(writes, seenSeq);
      const oldest = (readOnce ? unseen[0] : undefined) ?? { seq: opts.seq, at: written };
      return {
        atLeastMs: Math.max(elapsed, opts.now() - oldest.at),
        censored: true,
        since: oldest.at,
        ...(readError ? { readError } : {}),
        bytesWritten,
        value,
        unseen,
        appliedUpTo,
      };
    }
    await sleep(Math.min(pollMs, opts.budgetMs - elapsed));
  }
}
