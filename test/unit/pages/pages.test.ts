import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/index.js';
import { downsample, overviewRows, renderOverview, renderTenantPage } from '../../../src/pages/index.js';
import type { TenantView } from '../../../src/release/index.js';
import { allowedActions } from '../../../src/release/index.js';
import { initialSoakState, type SoakStateName } from '../../../src/soak/index.js';
import { compressedPolicy } from '../../support/unitTick.js';

const NOW = Date.parse('2026-03-02T10:00:00Z');

function view(tenant: string, over: Partial<TenantView> = {}): TenantView {
  return {
    tenant,
    state: 'SOAKING',
    phase: 'soak',
    inconclusive: false,
    inconclusiveReasons: [],
    coverage: 0.99,
    elapsedMs: 60_000,
    remainingMs: 120_000,
    requiredMs: 180_000,
    criteria: [
      {
        id: 'memory',
        metric: 'targetMemoryPct',
        severity: 'critical',
        status: 'ok',
        value: 41,
        worst: 44,
        threshold: 90,
        op: '>',
        aggregate: 'max',
        breachCount: 0,
        consecutiveBreaches: 0,
        firing: false,
        firingSince: null,
        lastBreachAt: null,
      },
    ],
    firing: [],
    resets: [],
    lastSampleAt: NOW - 30_000,
    judged: true,
    version: 3,
    lastSample: { at: NOW - 30_000, durationMs: 4, complete: true, failedNodes: [] },
    audit: [],
    phaseStartedAt: NOW - 600_000,
    actions: ['abort'],
    ...over,
  };
}

describe('downsample', () => {
  const points = Array.from({ length: 10_000 }, (_, i) => ({ at: i * 1000, v: i === 4321 ? 1e6 : i % 7 }));

  it('keeps at most the bound, and every bucket its min and max: a one-sample spike survives', () => {
    const out = downsample(points, 200, 0, 9_999_000);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.some((p) => p.at === 4_321_000 && p.v === 1e6)).toBe(true);
    expect(out.some((p) => p.v === 0)).toBe(true);
    // Ascending, and only stored points (nothing interpolated).
    for (let i = 1; i < out.length; i++) expect(out[i]?.at).toBeGreaterThan(out[i - 1]?.at ?? -1);
    for (const p of out) expect(p.v).toBe(points[p.at / 1000]?.v);
  });

  it('keeps a no-data stretch as a gap, never a zero; fewer points than the bound come back unchanged', () => {
    const gappy = [
      { at: 0, v: 5 },
      { at: 1, v: null },
      { at: 2, v: 7 },
    ];
    expect(downsample(gappy, 10, 0, 2)).toEqual(gappy);
    const many = Array.from({ length: 100 }, (_, i) => ({ at: i, v: i < 50 ? null : 1 }));
    const out = downsample(many, 10, 0, 99);
    expect(out.filter((p) => p.v === null).length).toBeGreaterThan(0);
    expect(out.some((p) => p.v === 0)).toBe(false);
  });
});

describe('allowedActions', () => {
  it('asks the judge: approve only from PASSED, restart only from FAILED/ABORTED', () => {
    const policy = compressedPolicy();
    const parsed = configSchema.parse({
      notifications: {
        alertTopicArn: 'arn:aws:sns:us-east-1:0:a',
        releaseTopicArn: 'arn:aws:sns:us-east-1:0:r',
      },
      stateStore: { url: 'redis://127.0.0.1:1' },
      tenants: [
        {
          id: 'a',
          legacy: { url: 'redis://127.0.0.1:1' },
          target: { url: 'redis://127.0.0.1:2' },
          soak: policy,
        },
      ],
    });
    const soak = parsed.tenants[0]?.soak;
    if (!soak) throw new Error('no policy');
    const at = (state: SoakStateName) => ({ ...initialSoakState('a', soak, NOW), state });
    expect(allowedActions(at('PASSED'), soak, NOW)).toEqual(['abort', 'approve']);
    expect(allowedActions(at('FAILED'), soak, NOW)).toEqual(['abort', 'restart']);
    expect(allowedActions(at('CUTOVER_READY'), soak, NOW)).toEqual(['cutover', 'abort']);
    expect(allowedActions(at('SCALED_DOWN'), soak, NOW)).toEqual([]);
  });
});

describe('fleet overview', () => {
  it('puts what needs a person first and filters by state and search', () => {
    const rows = overviewRows(
      [
        view('quiet'),
        view('done', { state: 'SCALED_DOWN', phase: 'done' }),
        view('decide', { state: 'PASSED' }),
        view('broken', { state: 'FAILED' }),
      ],
      {},
    );
    expect(rows.map((r) => r.tenant)).toEqual(['broken', 'decide', 'quiet', 'done']);
    expect(overviewRows(rows, { state: 'PASSED' }).map((r) => r.tenant)).toEqual(['decide']);
    expect(overviewRows(rows, { q: 'UIE' }).map((r) => r.tenant)).toEqual(['quiet']);
  });

  it('renders 500 tenants fast enough to serve (measured)', () => {
    const statuses = Array.from({ length: 500 }, (_, i) =>
      view(`tenant-${i}`, { state: (['SOAKING', 'PASSED', 'FAILED', 'REPLICATING'] as const)[i % 4] }),
    );
    renderOverview(statuses, {}, NOW); // warm-up
    const runs = 5;
    const started = performance.now();
    let html = '';
    for (let i = 0; i < runs; i++) html = renderOverview(statuses, {}, NOW);
    const ms = (performance.now() - started) / runs;
    console.log(
      `overview of 500 tenants: ${ms.toFixed(2)} ms per render, ${(html.length / 1024).toFixed(0)} KiB`,
    );
    expect(html.match(/<tr data-tenant=/g)?.length).toBe(500);
    // A generous bound on a shared two-core machine: the point is the order of magnitude (not seconds).
    expect(ms).toBeLessThan(250);
  });
});

describe('tenant page', () => {
  it('escapes every value: a reason holding <script> renders as text', () => {
    const evil = '<script>alert(1)</script>';
    const html = renderTenantPage({
      status: view('acme', {
        resets: [{ at: NOW - 1000, reason: evil }],
        audit: [{ at: NOW - 500, actor: '"><img src=x>', action: 'abort', reason: evil }],
      }),
      history: [],
      events: [{ at: NOW - 2000, type: 'Custom', source: 'manual', detail: evil }],
      audit: [{ at: NOW - 500, actor: '"><img src=x>', action: 'abort', reason: evil }],
      from: NOW - 600_000,
      to: NOW,
      now: NOW,
    });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Nothing inline: the CSP allows scripts and styles from /assets only.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it('shows the fence of legacy in force', () => {
    const html = renderTenantPage({
      status: view('acme'),
      history: [],
      events: [],
      audit: [],
      fence: {
        at: NOW,
        actor: 'bob',
        reason: 'cutover <done>',
        node: '10.0.0.1:6379',
        users: [{ name: 'app' }],
      },
      from: NOW - 1000,
      to: NOW,
      now: NOW,
    });
    expect(html).toContain('Legacy fenced');
    expect(html).toContain('app cannot write on 10.0.0.1:6379');
    expect(html).toContain('cutover &lt;done&gt;');
  });

  it('offers the fence only where the release service does, and shows the refused writes as evidence', () => {
    const base = {
      status: view('acme'),
      history: [],
      events: [],
      audit: [],
      from: NOW - 1000,
      to: NOW,
      now: NOW,
    };
    const offered = renderTenantPage({
      ...base,
      fenceStatus: { offer: { fence: true, unfence: false }, rejected: [], nopermTotal: 0 },
    });
    expect(offered).toContain('<button type="button" data-fence="fence" data-tenant="acme">fence</button>');
    expect(offered).toContain('data-fence="unfence" data-tenant="acme" hidden>');
    expect(offered).toContain('data-fenced="false"');
    const refused = renderTenantPage({
      ...base,
      fenceStatus: {
        offer: { fence: false, unfence: false, why: 'the state is <REPLICATING>' },
        rejected: [],
        nopermTotal: null,
      },
    });
    expect(refused).toContain('data-fence="fence" data-tenant="acme" hidden>');
    expect(refused).toContain('fencing is not offered: the state is &lt;REPLICATING&gt;');
    const fenced = renderTenantPage({
      ...base,
      fence: { at: NOW, actor: 'bob', reason: 'cutover', node: '10.0.0.1:6379', users: [{ name: 'app' }] },
      fenceStatus: {
        offer: { fence: false, unfence: true },
        rejected: [
          {
            username: 'app',
            command: 'set',
            reason: 'command',
            count: 3,
            client: 'addr=10.0.0.9:5000',
            ageSeconds: 90,
          },
        ],
        nopermTotal: 4,
      },
    });
    expect(fenced).toContain(
      '<button type="button" data-fence="unfence" data-tenant="acme">unfence</button>',
    );
    expect(fenced).toMatch(
      /<table id="refused">.*<td>app<\/td><td>set<\/td><td>3<\/td><td>1m 30s ago<\/td>/s,
    );
    expect(fenced).toContain('NOPERM replies of the legacy primary since its start: 4');
    // An ACL LOG that could not be read is not "nothing refused".
    const unread = renderTenantPage({
      ...base,
      fence: { at: NOW, actor: 'bob', reason: 'cutover', node: '10.0.0.1:6379', users: [{ name: 'app' }] },
      fenceStatus: {
        offer: { fence: false, unfence: true },
        rejected: [],
        rejectedError: 'Command timed out',
        nopermTotal: null,
      },
    });
    expect(unread).toContain('The refused writes could not be read: Command timed out.');
    expect(unread).not.toContain('No write refused since the fence');
    // Without a connection to legacy: the record alone, no button.
    const recordOnly = renderTenantPage({
      ...base,
      fence: { at: NOW, actor: 'bob', reason: 'cutover', node: '10.0.0.1:6379', users: [{ name: 'app' }] },
    });
    expect(recordOnly).toContain('data-fence="unfence" data-tenant="acme" hidden>');
    expect(recordOnly).toContain('soakwatch fence --tenant acme --status');
  });

  it('draws one dot per stored point with its time and value, and marks resets and the cutover', () => {
    const history = Array.from({ length: 20 }, (_, i) => ({
      at: NOW - 600_000 + i * 30_000,
      derived: { cdcLagMs: i * 10, targetMemoryPct: 40 + i, 'keyDrift@db0': 0, 'keyDrift@db3': i % 3 },
    }));
    const html = renderTenantPage({
      status: view('acme', { resets: [{ at: NOW - 300_000, reason: 'legacy writes' }] }),
      history,
      events: [],
      audit: [{ at: NOW - 590_000, actor: 'alice', action: 'cutover', from: 'CUTOVER_READY', to: 'SOAKING' }],
      from: NOW - 600_000,
      to: NOW,
      now: NOW,
    });
    const cdc = /<figure class="chart" id="chart-cdc-lag">([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? '';
    const dots = [...cdc.matchAll(/data-at="(\d+)" data-v="([^"]*)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(dots).toEqual(history.map((h) => [h.at, h.derived.cdcLagMs]));
    expect(cdc).toContain('data-kind="reset"');
    expect(cdc).toContain('data-kind="cutover"');
    expect(cdc).toMatch(/>ms</);
    expect(html).toContain('data-key="keyDrift@db3"');
  });
});
