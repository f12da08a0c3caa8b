import type { Cluster } from 'ioredis';
import {
  type CdcProgress,
  emptySpotCheckState,
  type SpotCheckState,
  type SpotCheckTickResult,
  spotCheckTick,
} from '../../../src/sampling/consistency/index.js';
import type { LegacyDbs } from './clients.js';

const MINUTE = 60_000;

/**
 * Ticks of the spot-check a minute apart on the sampler's clock, carrying the suspects (and what the state
 * keeps between ticks) like the state store. 200 draws per db: every key of a small fixture is drawn.
 */
export function spotCheckTicker(opts: {
  legacy: LegacyDbs;
  target: Cluster;
  dbMap: Record<string, string>;
  dbs: number[];
  startAt: number;
}): (cdc?: CdcProgress) => Promise<SpotCheckTickResult> {
  let state: SpotCheckState = emptySpotCheckState();
  let at = opts.startAt;
  return async (cdc = { lagMs: 0 }) => {
    const tickAt = at;
    at += MINUTE;
    const realStart = Date.now();
    const { result, state: next } = await spotCheckTick({
      legacy: opts.legacy.get,
      target: opts.target,
      dbMap: opts.dbMap,
      dbs: opts.dbs,
      keysPerDb: 200,
      ttlToleranceMs: 1000,
      state,
      deadline: Date.now() + 5_000,
      cdc,
      now: () => tickAt + (Date.now() - realStart),
    });
    state = next;
    return result;
  };
}
