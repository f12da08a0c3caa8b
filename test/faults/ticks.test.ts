import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/alerts/index.js';
import { configSchema } from '../../src/config/index.js';
import { runTick, type TenantTickReport } from '../../src/tick/index.js';
import type { CrashPoint } from '../../src/util/crashPoint.js';
import {
  compressedPolicy,
  forceCutover,
  type Harness,
  openHarness,
  SECOND,
  scenarioConfigInput,
  type TenantInput,
} from '../integration/scenarios/fixture.js';
import { useStandalone } from '../support/topologies.js';
import { printReport, recordRow } from './support.js';

// Ticks that die or collide (issue 12 rows c and d): a tick SIGKILLed at each of its write points, and
// 10 ticks at once for one tenant and for 10 tenants. The tick that matters is the passing one: it makes
// two transitions (passed, auto-approved), two release messages and one scale-down hook.
// The 10-at-once case for one tenant and a failover reset is also in
// test/integration/scenarios/robustness.test.ts ('concurrent ticks'); this one adds the hook and 10 tenants.

const legacy = useStandalone();
const target = useStandalone();
const store = useStandalone();

const CRASH_POINTS: CrashPoint[] = ['locked', 'sample', 'history', 'state', 'alert-published', 'alerts'];
const CONCURRENT = Array.from({ length: 10 }, (_, i) => `many-${i}`);

const tenant = (id: string): TenantInput => ({
  id,
  legacy: { url: legacy().node.url },
  target: { url: target().node.url },
  soak: compressedPolicy({ autoApprove: true }),
  hooks: [
    {
      id: 'scale-down-legacy',
      on: ['SCALE_DOWN_APPROVED'],
      action: { type: 'lambda', functionName: 'legacy-redis-scale-down' },
      dryRun: true,
    },
  ],
});

let h: Harness;
let dir: string;
let configPath: string;
let admin: Redis;

beforeAll(async () => {
  const input = scenarioConfigInput(store().node.url, [
    ...CRASH_POINTS.map((p) => tenant(`crash-${p}`)),
    tenant('one'),
    ...CONCURRENT.map(tenant),
  ]);
  h = await openHarness(configSchema.parse(input));
  dir = mkdtempSync(join(tmpdir(), 'soakwatch-faults-crash-'));
  configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(input));
  admin = new Redis(store().node.url, { disableClientInfo: true });
});

afterAll(async () => {
  printReport();
  admin?.disconnect();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Ticks once a second from `from` until the next tick is the passing one; returns that tick's `now`. */
async function untilOneBeforePass(id: string, from: number): Promise<number> {
  for (let now = from; now < from + 20 * SECOND; now += SECOND) {
    const r = await h.tick(id, now);
    if (r.state !== 'SOAKING') throw new Error(`${id}: unexpected state ${r.state}`);
    if ((r.verdict?.remainingMs ?? Number.POSITIVE_INFINITY) <= SECOND) return now + SECOND;
  }
  throw new Error(`${id} never came within one tick of the pass`);
}

const ROOT = resolve(import.meta.dirname, '../..');

/** One tick in a child process that SIGKILLs itself at `point`; what it published before dying. */
function crashingTick(
  point: CrashPoint,
  id: string,
  now: number,
): Promise<{ signal: string | null; published: OutgoingMessage[] }> {
  const out = join(dir, `${id}.jsonl`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/faults/crashTick.ts'), configPath, String(now), id, out],
      {
        cwd: ROOT,
        env: { ...process.env, SOAKWATCH_TEST_CRASH_AT: point },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        reject(
          new Error(`the tick did not crash at ${point} (exit ${code}, ${signal}): ${stderr.slice(-500)}`),
        );
        return;
      }
      const published = existsSync(out)
        ? readFileSync(out, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as OutgoingMessage)
        : [];
      resolvePromise({ signal, published });
    });
  });
}

// The crashes run concurrently, each tenant's tick in its own process on the one shared legacy, as
// per-tenant ticks run in production: soakwatch processes must not take each other for application clients.
describe.concurrent('(c) a tick killed between its writes', () => {
  for (const point of CRASH_POINTS) {
    it(`at "${point}": the next ticks make exactly the transitions due, no duplicate message or hook`, async () => {
      const started = Date.now();
      const id = `crash-${point}`;
      const t0 = Date.now();
      await forceCutover(h, id, t0);
      const passingNow = await untilOneBeforePass(id, t0 + SECOND);
      const sentBefore = h.messages.length;

      const crash = await crashingTick(point, id, passingNow);
      expect(crash.signal).toBe('SIGKILL');
      // A killed tick never releases its lock: the next scheduled tick (a sample interval later, 60 s in
      // production) comes after the lock's TTL; that TTL's end is brought forward instead of waited for.
      const lockKey = `scenario:t:{${id}}:lock:tick`;
      const ttl = await admin.pttl(lockKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(h.config.sampling.budgetMs * 3 + 10_000);
      await admin.pexpire(lockKey, 1);
      // So is the outbox's delivery lock (held while the killed tick was delivering), when it holds one.
      await admin.pexpire(`scenario:t:{${id}}:lock:outbox`, 1);
      await new Promise((r) => setTimeout(r, 5));

      const after: TenantTickReport[] = [];
      for (let i = 0; i < 4; i++) after.push(await h.tick(id, passingNow + (i + 1) * SECOND));

      const audit = await h.audit(id);
      const moves = audit.filter((e) => e.to !== undefined).map((e) => `${e.action}:${e.to}`);
      const published = [...crash.published, ...h.messages.slice(sentBefore)].filter(
        (m) => m.attributes.tenant === id,
      );
      const kinds = published.map((m) => m.attributes.kind);
      const hookRuns = audit.filter((e) => e.action === 'hook.dry-run').length;
      // Exactly the transitions due, once each, whoever made them.
      expect(moves).toEqual(['cutover:SOAKING', 'passed:PASSED', 'approved:SCALE_DOWN_APPROVED']);
      expect(after.at(-1)?.state).toBe('SCALE_DOWN_APPROVED');
      // Never twice.
      expect(kinds.filter((k) => k === 'passed').length).toBeLessThanOrEqual(1);
      expect(kinds.filter((k) => k === 'approved').length).toBeLessThanOrEqual(1);
      expect(kinds.filter((k) => k === 'alert').length).toBe(0);
      expect(hookRuns).toBeLessThanOrEqual(1);
      // What a crash after the state's compare-and-set would lose (the messages and hook of the transitions
      // it stored) is in the outbox written with the state, delivered by the next tick: nothing is lost.
      const lost = [
        ...(kinds.includes('passed') ? [] : ['"passed" message']),
        ...(kinds.includes('approved') ? [] : ['"approved" message']),
        ...(hookRuns === 1 ? [] : ['scale-down hook']),
      ];
      recordRow({
        fault: `(c) tick SIGKILLed at write point "${point}"`,
        detectedAfterTicks: null,
        stateAfter: `${after.at(-1)?.state}; transitions once each`,
        lost: lost.length ? lost.join(', ') : 'nothing',
        tookMs: Date.now() - started,
        notes: `messages ${kinds.join(',') || 'none'}; hook runs ${hookRuns}; lock TTL left ${ttl} ms`,
        file: 'test/faults/ticks.test.ts',
      });
      expect(lost).toEqual([]);
      // Six tick processes start at once (a TypeScript loader each) on two shared cores: ~25 s measured when
      // loaded, past the default 30 s test timeout with a little more load.
    }, 120_000);
  }
});

describe('(d) concurrent ticks', () => {
  it('10 ticks of one tenant at the passing tick: one transition each, one message each, one hook', async () => {
    const started = Date.now();
    const t0 = Date.now();
    await forceCutover(h, 'one', t0);
    const now = await untilOneBeforePass('one', t0 + SECOND);
    const sentBefore = h.messages.length;

    const reports = await Promise.all(
      Array.from({ length: 10 }, () => runTick(h.deps, { now, tenantId: 'one' })),
    );

    const outcomes = reports.map((r) => r.tenants[0]);
    const judged = outcomes.filter((t) => t && !t.skipped);
    expect(judged).toHaveLength(1);
    expect(judged[0]?.transitions.map((t) => t.kind)).toEqual(['passed', 'approved']);
    expect(outcomes.filter((t) => t?.skipped).every((t) => t?.ok && t.transitions.length === 0)).toBe(true);
    const kinds = h.messages.slice(sentBefore).map((m) => m.attributes.kind);
    expect(kinds.sort()).toEqual(['approved', 'passed']);
    const audit = await h.audit('one');
    expect(audit.filter((e) => e.action === 'hook.dry-run')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'passed')).toHaveLength(1);
    recordRow({
      fault: '(d) 10 concurrent ticks, one tenant',
      detectedAfterTicks: null,
      stateAfter: `SCALE_DOWN_APPROVED; 1 judged, ${outcomes.filter((t) => t?.skipped === 'locked').length} locked, ${outcomes.filter((t) => t?.skipped === 'duplicate').length} duplicate, ${outcomes.filter((t) => t?.skipped === 'concurrent').length} concurrent`,
      lost: 'nothing (1 passed + 1 approved message, 1 hook run)',
      tookMs: Date.now() - started,
      file: 'test/faults/ticks.test.ts',
    });
  });

  it('10 ticks of 10 tenants at once: per tenant one transition, one message, one hook', async () => {
    const started = Date.now();
    const t0 = Date.now();
    let now = 0;
    for (const id of CONCURRENT) {
      await forceCutover(h, id, t0);
      now = await untilOneBeforePass(id, t0 + SECOND);
    }
    const sentBefore = h.messages.length;

    const reports = await Promise.all(Array.from({ length: 10 }, () => runTick(h.deps, { now })));

    const perTenant = CONCURRENT.map((id) => {
      const outcomes = reports.map((r) => r.tenants.find((t) => t.tenant === id));
      return {
        id,
        judged: outcomes.filter((t) => t && !t.skipped).length,
        transitions: outcomes.flatMap((t) => t?.transitions.map((x) => x.kind) ?? []),
        messages: h.messages
          .slice(sentBefore)
          .filter((m) => m.attributes.tenant === id)
          .map((m) => m.attributes.kind)
          .sort(),
      };
    });
    for (const t of perTenant) {
      expect(t, t.id).toMatchObject({
        judged: 1,
        transitions: ['passed', 'approved'],
        messages: ['approved', 'passed'],
      });
      const audit = await h.audit(t.id);
      expect(
        audit.filter((e) => e.action === 'hook.dry-run'),
        t.id,
      ).toHaveLength(1);
    }
    expect(reports.every((r) => r.tenants.every((t) => t.ok))).toBe(true);
    recordRow({
      fault: '(d) 10 concurrent ticks over 10 tenants',
      detectedAfterTicks: null,
      stateAfter: 'every tenant SCALE_DOWN_APPROVED, judged once each',
      lost: 'nothing (per tenant: 1 passed + 1 approved message, 1 hook run)',
      tookMs: Date.now() - started,
      file: 'test/faults/ticks.test.ts',
    });
  });
});
