import type { Policy } from '../config/index.js';
import { formatDuration } from '../util/duration.js';
import { creditClock, pauseClock, startClock, uncreditedMs } from './clock.js';
import type { ReadinessRules } from './readiness.js';
import { coverageOk, describe, move, pct } from './step.js';

/**
 * Online mode (a CDC tool replicates legacy to the target): the tenant is ready once the replication
 * criteria held, every one of them ok, for `readyAfter` of watched time at `minCoverage`. The readiness
 * clock restarts on any breach or open alarm, pauses on a sample lacking a metric, and restarts once its
 * uncredited time makes the coverage floor unreachable. A firing critical criterion revokes readiness.
 */
export const onlineReadiness: ReadinessRules = {
  replicating(s, sample, look, ctx, watched) {
    const { policy } = ctx;
    const at = sample.at;
    // A breach (critical or fatal, tolerated or not) or an open alarm: readiness starts again from zero.
    if (look.openBreach || look.firingCritical.length > 0 || Object.keys(s.openAlarms).length > 0) {
      s.clock = null;
      return;
    }
    const slack = readinessSlackMs(policy);
    if (!watched) {
      // A sample without data only pauses the clock: its interval is not credited, so one missed tick costs
      // one tick. Once the uncredited time makes coverage at readyAfter impossible, start again.
      if (s.clock) {
        pauseClock(s.clock, at);
        if (uncreditedMs(s.clock) > slack) s.clock = null;
      }
      return;
    }
    // A sample that carried every metric credits its interval even while a window is still short of the
    // samples missed before it: that time is uncredited already, and two missed ticks cost two, not four.
    // Such a window is `nodata`, which keeps the tenant from becoming ready until it is whole again.
    if (s.clock) {
      creditClock(s.clock, at, policy.sampleInterval);
      // A gap without samples is uncredited time too.
      if (uncreditedMs(s.clock) > slack) s.clock = startClock(at);
    } else s.clock = startClock(at);
    if (look.nodata.length > 0) return;
    const required = policy.replication.readyAfter;
    if (s.clock.creditedMs >= required && coverageOk(s, at, policy, required)) {
      move(
        s,
        'CUTOVER_READY',
        at,
        'ready',
        `replication criteria held for ${formatDuration(s.clock.creditedMs)} (coverage ${pct(s, at, policy)})`,
        ctx,
      );
    }
  },

  revocation(_sample, look) {
    const firing = look.firingCritical[0];
    return firing ? { reason: describe(firing.c, firing.e), criterion: firing.c.id } : undefined;
  },

  // Readiness rests on the watched time up to now: any reset event in the phase revokes it.
  predatesProof: () => false,
  doubt() {},
  // Recorded only: the proof online is the replication criteria over time.
  fullCompare() {},
  evidence: () => [],
  requiredMs: (policy) => policy.replication.readyAfter,
};

/**
 * Uncredited time the readiness clock may carry: beyond it, coverage at `readyAfter` of credited time
 * (readyAfter / (readyAfter + uncredited)) could no longer reach `minCoverage`, so the clock starts again.
 */
export function readinessSlackMs(policy: Policy): number {
  const m = policy.minCoverage;
  if (m <= 0) return Number.POSITIVE_INFINITY;
  return (policy.replication.readyAfter * (1 - m)) / m;
}
