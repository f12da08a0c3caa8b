import { expect } from 'vitest';
import { Fleet, type FleetOptions } from '../support/scenario/fleet.js';
import { formatSummary, formatTicks, summarize } from '../support/scenario/report.js';
import { nodeInfo } from '../support/scenario/world.js';

// The two healthy tests, shared by the in-process and the CLI files: a healthy tenant must get ready
// and pass, with nothing sent to on-call on the way.

export const TENANT = 'acme';
/** How long past readyAfter (or the soak duration) a healthy tenant may take: a few sample intervals. */
export const SLACK_INTERVALS = 8;

/** One tenant on its own production-like topology, ticking from now on. */
export async function startHealthy(driver: Pick<FleetOptions, 'driver' | 'cli'>): Promise<Fleet> {
  const fleet = await Fleet.start({ legacies: 1, tenants: [{ id: TENANT, legacy: 0 }], ...driver });
  fleet.startTicking();
  return fleet;
}

async function legacyKeys(fleet: Fleet): Promise<number> {
  const info = await nodeInfo(fleet.tenant(TENANT).legacy.topo.primary, 'keyspace');
  return [...info.values()].reduce((sum, line) => sum + Number(/keys=(\d+)/.exec(line)?.[1] ?? 0), 0);
}

export async function healthyReplicationGetsReady(fleet: Fleet, name: string): Promise<void> {
  const t = fleet.tenant(TENANT);
  const { policy } = fleet;
  const keysAtStart = await legacyKeys(fleet);
  const ready = await t.ticker.waitFor(
    (r) => r.state === 'CUTOVER_READY',
    policy.replication.readyAfter + SLACK_INTERVALS * policy.sampleInterval,
  );
  const records = t.ticker.sorted();
  const keysAtEnd = await legacyKeys(fleet);
  const load = t.legacy.load.stats();
  console.log(
    `${formatSummary(summarize(`${name}: healthy replication`, records, load))}\n   legacy keys ${keysAtStart} → ${keysAtEnd}\n${formatTicks(records)}`,
  );

  // The workload is the one the issue asks for.
  expect(load.opsPerSec).toBeGreaterThanOrEqual(1_000);
  expect(keysAtEnd).toBeGreaterThan(keysAtStart);
  // A healthy tenant gets ready, not before readyAfter, and nobody was paged on the way.
  expect(ready?.state, 'CUTOVER_READY within readyAfter + a few ticks').toBe('CUTOVER_READY');
  const first = records[0];
  if (ready && first)
    expect(ready.startedAt - first.startedAt).toBeGreaterThanOrEqual(
      policy.replication.readyAfter - policy.sampleInterval,
    );
  expect(records.flatMap((r) => r.onCall.map((msg) => msg.subject))).toEqual([]);
  expect(records.filter((r) => r.error)).toEqual([]);
}

export async function healthySoakPasses(fleet: Fleet, name: string): Promise<void> {
  const t = fleet.tenant(TENANT);
  const { policy } = fleet;
  const ready = t.ticker.sorted().at(-1)?.state === 'CUTOVER_READY';
  // Without readiness (the replication test failed) the soak is still tested: forced, and said so.
  const { markedAt } = await fleet.cutover([TENANT], { force: !ready });
  const passed = await t.ticker.waitFor(
    (r) => r.startedAt > markedAt && r.state === 'PASSED',
    policy.soak.duration + SLACK_INTERVALS * policy.sampleInterval,
  );
  const soak = t.ticker.sorted().filter((r) => r.startedAt > markedAt);
  const load = t.targetLoad?.stats();
  console.log(
    `${formatSummary(summarize(`${name}: healthy soak${ready ? '' : ' (cutover forced: never got ready)'}`, soak, load))}\n${formatTicks(soak)}`,
  );

  expect(load?.opsPerSec).toBeGreaterThanOrEqual(1_000);
  expect(passed?.state, 'PASSED within the soak duration + a few ticks').toBe('PASSED');
  if (passed) expect(passed.startedAt - markedAt).toBeGreaterThanOrEqual(policy.soak.duration);
  // Every message on the alert topic pages someone: none, the cutover's included.
  expect(soak.flatMap((r) => r.onCall.map((msg) => msg.subject))).toEqual([]);
  expect(soak.filter((r) => r.error)).toEqual([]);
}
