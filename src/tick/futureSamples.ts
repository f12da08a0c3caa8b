import { formatDuration } from '../util/duration.js';

/** A tick refused because a sample would come from the future (or one already did). */
export interface FutureSample {
  /**
   * `tick`: this tick's `now` is ahead of the state store's clock (a host clock ahead, a `--now` ahead);
   * `stored`: the latest stored sample is ahead of this tick's `now` (left by such a tick earlier).
   */
  kind: 'tick' | 'stored';
  /** The time that is ahead, and the clock it is ahead of (epoch ms). */
  at: number;
  reference: number;
  aheadMs: number;
  maxSkewMs: number;
}

/** Which of this tick's times is too far ahead, if one is: its `now`, else the latest stored sample. */
export function findFutureSample(opts: {
  now: number;
  storeNow: number;
  latestAt: number | null;
  maxSkewMs: number;
}): FutureSample | undefined {
  const { now, storeNow, latestAt, maxSkewMs } = opts;
  if (now - storeNow > maxSkewMs)
    return { kind: 'tick', at: now, reference: storeNow, aheadMs: now - storeNow, maxSkewMs };
  if (latestAt !== null && latestAt - now > maxSkewMs)
    return { kind: 'stored', at: latestAt, reference: now, aheadMs: latestAt - now, maxSkewMs };
  return undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The refusal in words, naming the skew, both clocks and what to check. */
export function describeFutureSample(f: FutureSample): string {
  const limit = `sampling.maxClockSkewMs is ${formatDuration(f.maxSkewMs)}`;
  return f.kind === 'tick'
    ? `sample refused: this tick's time ${iso(f.at)} is ${formatDuration(f.aheadMs)} ahead of the state store's clock ${iso(f.reference)} (${limit}); nothing was stored. Check the clock of the host running the tick, or --now`
    : `sample refused: the latest stored sample (${iso(f.at)}) is ${formatDuration(f.aheadMs)} ahead of this tick's time ${iso(f.reference)} (${limit}); a tick with a clock ahead stored it, and until that time every sample of this tenant would be a duplicate. The tenant is not being judged`;
}
