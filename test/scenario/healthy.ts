import { expect } from 'vitest';
import type { Migration } from '../support/scenario/migration.js';
import { formatSummary, formatTicks, summarize } from '../support/scenario/report.js';
import { nodeInfo } from '../support/scenario/world.js';

// The two healthy tests, shared by the in-process and the CLI files: a healthy tenant must get ready
// and pass, with nothing sent to on-call on the way.

/** How long past readyAfter (or the soak duration) a healthy tenant may take: a few sample intervals. */
export const SLACK_INTERVALS = 8;

export function deadlines(m: Migration): { readyMs: number; soakMs: number } {
  const slack = SLACK_INTERVALS * m.policy.sampleInterval;
  return { readyMs: m.policy.replication.readyAfter + slack, soakMs: m.policy.soak.duration + slack };
}

async function legacyKeys(m: Migration): Promise<number> {
  const info = await nodeInfo(m.legacy.primary, 'keyspace');
  return [...info.values()].reduce((sum, line) => sum + Number(/keys=(\d+)/.exec(line)?.[1] ?? 0), 0);
}

export async function healthyReplicationGetsReady(m: Migration, name: string): Promise<void> {
  const keysAtStart = await legacyKeys(m);
  const ready = await m.ticker.waitFor((r) => r.state === 'CUTOVER_READY', deadlines(m).readyMs);
  const records = m.ticker.sorted();
  const keysAtEnd = await legacyKeys(m);
  console.log(
    `${formatSummary(summarize(`${name}: healthy replication`, records, m.load.stats()))}\n   legacy keys ${keysAtStart} → ${keysAtEnd}\n${formatTicks(records)}`,
  );

  // The workload is the one the issue asks for.
  expect(m.load.stats().opsPerSec).toBeGreaterThanOrEqual(1_000);
  expect(keysAtEnd).toBeGreaterThan(keysAtStart);
  // A healthy tenant gets ready, not before readyAfter, and nobody was paged on the way.
  expect(ready?.state, 'CUTOVER_READY within readyAfter + a few ticks').toBe('CUTOVER_READY');
  const first = records[0];
  if (ready && first)
    expect(ready.startedAt - first.startedAt).toBeGreaterThanOrEqual(
      m.policy.replication.readyAfter - m.policy.sampleInterval,
    );
  expect(records.flatMap((r) => r.onCall.map((msg) => msg.subject))).toEqual([]);
  expect(records.filter((r) => r.error)).toEqual([]);
}

export async function healthySoakPasses(m: Migration, name: string): Promise<void> {
  const replicated = m.ticker.records.length;
  const ready = m.ticker.sorted().at(-1)?.state === 'CUTOVER_READY';
  // Without readiness (the replication test failed) the soak is still tested: forced, and said so.
  const { markedAt } = await m.cutover({ force: !ready });
  const passed = await m.ticker.waitFor(
    (r) => r.startedAt > markedAt && r.state === 'PASSED',
    deadlines(m).soakMs,
  );
  const soak = m.ticker.sorted().filter((r) => r.startedAt > markedAt);
  console.log(
    `${formatSummary(summarize(`${name}: healthy soak${ready ? '' : ' (cutover forced: never got ready)'}`, soak, m.load.stats()))}\n${formatTicks(soak)}`,
  );

  expect(m.load.stats().opsPerSec).toBeGreaterThanOrEqual(1_000);
  expect(passed?.state, 'PASSED within the soak duration + a few ticks').toBe('PASSED');
  if (passed) expect(passed.startedAt - markedAt).toBeGreaterThanOrEqual(m.policy.soak.duration);
  // Every message on the alert topic pages someone: none, the cutover's included.
  expect(soak.flatMap((r) => r.onCall.map((msg) => msg.subject))).toEqual([]);
  expect(soak.filter((r) => r.error)).toEqual([]);
  expect(replicated).toBeGreaterThan(0);
}
