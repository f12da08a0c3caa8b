import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { metrics } from '../../../src/observability/index.js';
import { runTick as runtimeTick } from '../../../src/runtime/index.js';
import type { Sample } from '../../../src/sampling/index.js';
import type { JudgeSample } from '../../../src/soak/index.js';
import { FUTURE_SAMPLE_ALERT_ID, runTick, type TickDeps } from '../../../src/tick/index.js';
import { freePort } from '../../../tools/local/index.js';
import { useStandalone } from '../../support/topologies.js';
import {
  compressedPolicy,
  forceCutover,
  type Harness,
  messagesOf,
  openHarness,
  SECOND,
  scenarioConfig,
  type TenantInput,
} from './fixture.js';

// A tick whose clock is ahead (a host clock, a `--now`) must not store a sample from the future: every
// later tick would then be a silent duplicate and the watcher blind. The state store's clock (Redis
// TIME) is the one every tick agrees on. Also: what the tick passes on (since, notes) and what it counts.

const legacy = useStandalone();
const target = useStandalone();
const store = useStandalone();

const MINUTE = 60 * SECOND;
const CUT_OVER = ['ahead', 'within', 'left-behind', 'counted', 'history'];
let h: Harness;
let deadPort: number;

beforeAll(async () => {
  deadPort = await freePort(); // nothing listens there: the sampler cannot read this legacy
  const tenant = (id: string, legacyUrl = legacy().node.url): TenantInput => ({
    id,
    legacy: { url: legacyUrl },
    target: { url: target().node.url },
  });
  const withSampler = compressedPolicy();
  withSampler.replication?.criteria?.push({
    id: 'sampler',
    metric: 'samplerFailures',
    aggregate: 'max',
    window: '3s',
    threshold: 0,
  });
  h = await openHarness(
    scenarioConfig(store().node.url, [
      tenant('ahead'),
      tenant('within'),
      tenant('left-behind'),
      tenant('counted'),
      tenant('history'),
      { ...tenant('blind', `redis://127.0.0.1:${deadPort}`), soak: withSampler },
    ]),
  );
  // In the soak: no heartbeat or spot-check to wait for, the tests are about the tick around the sample.
  for (const id of CUT_OVER) await forceCutover(h, id, Date.now() - 2 * MINUTE);
});

afterAll(async () => {
  await h?.close();
});

describe('a sample from the future', () => {
  it("is refused when the tick's now is ahead of the store's clock: an error naming the skew, an alert, nothing stored", async () => {
    const now = Date.now() + 5 * MINUTE;

    const refused = await h.tick('ahead', now);

    expect(refused).toMatchObject({ ok: false, futureSample: { kind: 'tick', at: now, maxSkewMs: 30_000 } });
    expect(refused.futureSample?.aheadMs).toBeGreaterThan(4 * MINUTE);
    expect(refused.error).toMatch(
      /^sample refused: this tick's time \S+ is (?:5m|4m 5\ds) ahead of the state store's clock/,
    );
    expect(refused.error).toContain('sampling.maxClockSkewMs is 30s');
    expect(await h.clients.store.latestSample('ahead')).toBeUndefined();
    expect(await h.clients.store.history('ahead', 0, now)).toEqual([]);
    expect((await h.state('ahead'))?.lastSampleAt).toBeNull();
    const [alert] = messagesOf(h, 'ahead', 'alert');
    expect(alert?.attributes.severity).toBe('critical');
    expect(alert?.subject).toContain(FUTURE_SAMPLE_ALERT_ID);
    expect(alert?.body).toContain(refused.error);
  });

  it('is judged normally once the clock is right again, and the alert resolves', async () => {
    const now = Date.now();

    const judged = await h.tick('ahead', now);

    expect(judged).toMatchObject({ ok: true, judged: true });
    expect(judged.futureSample).toBeUndefined();
    expect((await h.clients.store.latestSample<Sample>('ahead'))?.at).toBe(now);
    expect(messagesOf(h, 'ahead', 'resolved')).toHaveLength(1);
  });

  it('tolerates a clock ahead by less than maxClockSkewMs', async () => {
    const report = await h.tick('within', Date.now() + 20 * SECOND);

    expect(report).toMatchObject({ ok: true, judged: true });
    expect(report.futureSample).toBeUndefined();
    expect(messagesOf(h, 'within').filter((m) => m.subject.includes(FUTURE_SAMPLE_ALERT_ID))).toEqual([]);
  });

  it('already stored (by an earlier tick with a clock ahead) is reported the same way, not as a silent duplicate', async () => {
    const future = Date.now() + 2 * 3_600_000;
    const sample = await h.deps.collect(h.tenant('left-behind'), {
      now: future,
      previous: undefined,
      phase: 'replication',
    });
    await h.clients.store.appendSample('left-behind', sample, 3_600_000);

    const report = await h.tick('left-behind', Date.now());

    expect(report.skipped).toBeUndefined();
    expect(report).toMatchObject({ ok: false, futureSample: { kind: 'stored', at: future } });
    expect(report.error).toMatch(
      /^sample refused: the latest stored sample \(\S+\) is 1h 59m ahead of this tick's time/,
    );
    expect(messagesOf(h, 'left-behind', 'alert')[0]?.body).toContain('the latest stored sample');
  });

  it('counts as FutureSamples and not as SamplesJudged', async () => {
    const rt = { deps: h.deps, metrics };
    const added: [string, number][] = [];
    const spy = vi.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      added.push([name, value]);
      return metrics;
    });
    try {
      await runtimeTick(rt, { now: Date.now() + 10 * MINUTE, tenantId: 'counted' });
      await runtimeTick(rt, { now: Date.now(), tenantId: 'counted' });
    } finally {
      spy.mockRestore();
    }

    const of = (name: string) => added.filter(([n]) => n === name).map(([, v]) => v);
    expect(of('FutureSamples')).toEqual([1, 0]);
    expect(of('SamplesJudged')).toEqual([0, 1]);
    expect(of('SamplesCollected')).toEqual([0, 1]);
  });
});

describe('what a judged tick passes on', () => {
  it('gives the judged sample and its history entry the previous sample time and the notes', async () => {
    const notes = { targetMemoryPct: 'no maxmemory on the target' };
    const seen: number[] = [];
    const deps: TickDeps = {
      ...h.deps,
      collect: async (tenant, ctx) => ({ ...(await h.deps.collect(tenant, ctx)), notes }),
      onSample: (s) => seen.push(s.at),
    };
    const t0 = Date.now() - MINUTE;

    await runTick(deps, { now: t0, tenantId: 'history' });
    await runTick(deps, { now: t0 + SECOND, tenantId: 'history' });
    const duplicate = await runTick(deps, { now: t0 + SECOND, tenantId: 'history' });

    const history = await h.clients.store.history<JudgeSample>('history', 0, t0 + SECOND);
    expect(history.map((e) => [e.at, e.since, e.notes])).toEqual([
      [t0, null, notes],
      [t0 + SECOND, t0, notes],
    ]);
    expect(duplicate.tenants[0]).toMatchObject({ skipped: 'duplicate' });
    // Only stored and judged samples reach onSample (the per-sample metrics).
    expect(seen).toEqual([t0, t0 + SECOND]);
  });
});

describe('an alert about the sampler', () => {
  it('names the node it cannot read', async () => {
    const report = await h.tick('blind', Date.now());

    expect(report.sample?.failedNodes).toEqual([`127.0.0.1:${deadPort}`]);
    const [alert] = messagesOf(h, 'blind', 'alert');
    expect(alert?.body).toMatch(/- \[CRITICAL\] sampler: samplerFailures is 1/);
    expect(alert?.body).toContain(`127.0.0.1:${deadPort}`);
  });
});
