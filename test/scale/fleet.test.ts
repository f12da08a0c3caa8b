import { describe, expect, it } from 'vitest';
import { formatFleet, runFleetScale } from './fleet.js';

// Issue 11's scale test, at 40 tenants to fit the suite's budget (the full 200 run in bench/fleet.bench.ts,
// the same harness): the dispatcher fans a round out through serverless offline's Lambda Invoke API and
// every tenant is judged in the round; the same tenants run by the single in-process loop are the
// baseline. The figures are printed; what is asserted is that the fleet was watched whole.
const TENANTS = 40;

describe('the fleet: a round fanned out over per-tenant invocations', () => {
  it(`judges every one of ${TENANTS} tenants in the round, in-process and fanned out`, {
    timeout: 240_000,
  }, async () => {
    const result = await runFleetScale({ tenants: TENANTS, log: (line) => console.log(line) });
    console.log(formatFleet(result));
    expect(result.inProcess.judged).toBe(TENANTS);
    // The warm round is the steady state (the cold one includes every worker's module init on 2 cores).
    expect(result.fanOutWarm.judged).toBe(TENANTS);
    expect(result.fanOutWarm.stale).toBe(0);
    expect(result.fanOutCold.judged + result.fanOutCold.stale).toBe(TENANTS);
    // Every node saw soakwatch, and no more connections than the invocations could hold.
    for (const count of Object.values(result.fanOutWarm.connectionsPerNode)) expect(count).toBeGreaterThan(0);
  });
});
