/**
 * Judge benchmark: the cost of one tick (judgeSoak with one new sample) on a soak that has stored 10
 * samples and on one that has stored 10,080 (7 days of minutes), measured in the same process with
 * interleaved rounds. The judge keeps bounded rolling windows, so the ratio should stay near 1
 * (requirement: ≤ 1.5×). `npx tsx bench/judge.bench.ts [--smoke]`
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type Policy, policySchema } from '../src/config/schema.js';
import type { DerivedMetrics } from '../src/metrics/index.js';
import {
  applyAction,
  initialSoakState,
  type JudgeSample,
  judgeSoak,
  type SoakState,
} from '../src/soak/index.js';

export interface JudgeBenchResult {
  /** Mean µs per tick, median over rounds. */
  baselineUs: number;
  longUs: number;
  ratio: number;
  baselineSamples: number;
  longSamples: number;
  /** Size of the state as JSON (what the store writes per tick). */
  baselineStateBytes: number;
  longStateBytes: number;
  rounds: number;
  ticksPerRound: number;
  /** Time to build the long state tick by tick (10,080 ticks), ms. */
  buildMs: number;
}

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 6);

/** The default policy (every default criterion), with a soak long enough to still be running after 7 days. */
function benchPolicy(): Policy {
  return policySchema.parse({ soak: { duration: '8d' } });
}

/** A plausible healthy sample with small deterministic variation. */
function sampleAt(i: number): JudgeSample {
  const wobble = (i * 7919) % 100;
  const derived: DerivedMetrics = {
    targetMemoryPct: 40 + wobble / 10,
    targetEvictions: 0,
    targetErrorRate: wobble / 200,
    targetReplicationLinksDown: 0,
    legacyWriteOps: 0,
    legacyAppClients: 0,
    samplerFailures: 0,
    targetWriteOps: 10_000 + wobble,
    persistentKeyDriftRatio: 0,
    cdcLagMs: 100 + wobble,
    spotCheckMismatches: 0,
    spotCheckChecked: 100,
    streamRestarts: 0,
    targetKeyLossRatio: 0,
  };
  return { at: T0 + MINUTE + i * MINUTE, derived, complete: true };
}

/** A soak state (cut over at T0) that has judged `n` samples, one tick per sample. */
function soakAfter(n: number, policy: Policy): SoakState {
  const cut = applyAction(
    initialSoakState('bench', policy, T0 - MINUTE),
    { type: 'cutover', actor: 'bench', force: true, reason: 'benchmark' },
    policy,
    T0,
  );
  if (!cut.ok) throw new Error(cut.reason);
  let state = cut.state;
  for (let i = 0; i < n; i++) {
    const sample = sampleAt(i);
    state = judgeSoak(state, { now: sample.at, samples: [sample], events: [] }, policy).state;
  }
  return state;
}

function timeTicks(state: SoakState, next: JudgeSample, policy: Policy, ticks: number): number {
  let sink = 0;
  const start = performance.now();
  for (let k = 0; k < ticks; k++) {
    const r = judgeSoak(state, { now: next.at, samples: [next], events: [] }, policy);
    sink += r.transitions.length;
  }
  const us = ((performance.now() - start) * 1_000) / ticks;
  if (sink < 0) console.log(sink); // keeps the loop from being optimised away
  return us;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Runs the benchmark and returns the measured numbers. */
export function runJudgeBench(opts: { smoke: boolean }): JudgeBenchResult {
  const policy = benchPolicy();
  const baselineSamples = 10;
  const longSamples = 10_080;
  const buildStart = performance.now();
  const long = soakAfter(longSamples, policy);
  const buildMs = performance.now() - buildStart;
  const base = soakAfter(baselineSamples, policy);
  if (long.state !== 'SOAKING' || base.state !== 'SOAKING')
    throw new Error(`bench states must both be SOAKING (got ${base.state} and ${long.state})`);
  const nextBase = sampleAt(baselineSamples);
  const nextLong = sampleAt(longSamples);
  const rounds = opts.smoke ? 9 : 21;
  const ticksPerRound = opts.smoke ? 300 : 1_000;

  // Warm-up so both paths are compiled (and the GC settled) before measuring.
  for (let w = 0; w < 3; w++) {
    timeTicks(base, nextBase, policy, ticksPerRound);
    timeTicks(long, nextLong, policy, ticksPerRound);
  }
  const baseRuns: number[] = [];
  const longRuns: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so drift in machine load hits both sides alike.
    if (r % 2 === 0) {
      baseRuns.push(timeTicks(base, nextBase, policy, ticksPerRound));
      longRuns.push(timeTicks(long, nextLong, policy, ticksPerRound));
    } else {
      longRuns.push(timeTicks(long, nextLong, policy, ticksPerRound));
      baseRuns.push(timeTicks(base, nextBase, policy, ticksPerRound));
    }
  }
  const baselineUs = median(baseRuns);
  const longUs = median(longRuns);
  return {
    baselineUs,
    longUs,
    ratio: longUs / baselineUs,
    baselineSamples,
    longSamples,
    baselineStateBytes: JSON.stringify(base).length,
    longStateBytes: JSON.stringify(long).length,
    rounds,
    ticksPerRound,
    buildMs,
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const smoke = process.argv.includes('--smoke');
  const r = runJudgeBench({ smoke });
  const f = (n: number): string => n.toFixed(1);
  console.log(
    `judge tick, default policy (${r.rounds} rounds × ${r.ticksPerRound} ticks, median of round means)`,
  );
  console.log(
    `  after ${r.baselineSamples} samples:     ${f(r.baselineUs)} µs/tick  (state ${r.baselineStateBytes} bytes)`,
  );
  console.log(`  after ${r.longSamples} samples: ${f(r.longUs)} µs/tick  (state ${r.longStateBytes} bytes)`);
  console.log(`  ratio: ${r.ratio.toFixed(2)}× (requirement ≤ 1.5×)`);
  console.log(
    `  building the 7-day state tick by tick: ${f(r.buildMs)} ms (${f((r.buildMs * 1_000) / r.longSamples)} µs/tick)`,
  );
  if (r.ratio > 1.5) {
    console.log('  FAIL: a tick on day 7 costs more than 1.5× a tick on minute 10');
    if (!smoke) process.exitCode = 1;
  }
}
