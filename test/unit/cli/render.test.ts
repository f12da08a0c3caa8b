import { describe, expect, it } from 'vitest';
import { renderReplay, renderStatus, table, verdictChanges } from '../../../src/cli/render.js';
import type { TenantStatus } from '../../../src/release/index.js';
import type { CriterionEvidence, ReplayResult, Verdict } from '../../../src/soak/index.js';

const T0 = Date.UTC(2026, 0, 1);

function evidence(id: string): CriterionEvidence {
  return {
    id,
    metric: 'keyDrift',
    severity: 'critical',
    status: 'breach',
    value: 4,
    worst: 4,
    threshold: 3,
    op: '>',
    aggregate: 'max',
    breachCount: 1,
    consecutiveBreaches: 1,
    firing: true,
    firingSince: T0,
    lastBreachAt: T0,
  };
}

function verdict(at: number, state: Verdict['state'], firing: string[] = [], inconclusive = false): Verdict {
  return {
    tenant: 'acme',
    state,
    phase: 'replication',
    inconclusive,
    inconclusiveReasons: inconclusive ? ['coverage 80.0 % below the 95 % floor'] : [],
    coverage: 1,
    elapsedMs: 0,
    remainingMs: 1_000,
    requiredMs: 1_000,
    criteria: firing.map(evidence),
    firing: firing.map(evidence),
    resets: [],
    lastSampleAt: at,
  };
}

describe('table', () => {
  it('aligns columns, numbers to the right, and shows missing values as —', () => {
    const text = table(
      ['db', 'prefix', 'keys'],
      [
        [0, '(none)', 1200],
        [12, 'svc1:', null],
      ],
    );

    expect(text.split('\n')).toEqual([
      'db  prefix  keys',
      '--  ------  ----',
      ' 0  (none)  1200',
      '12  svc1:      —',
    ]);
  });

  it('keeps a column of only missing values left-aligned', () => {
    const text = table(
      ['class', 'examples'],
      [
        ['missing', null],
        ['value', null],
      ],
    );

    expect(text.split('\n')[2]).toBe('missing  —');
  });

  it('prints only the header of an empty table', () => {
    expect(table(['a', 'b'], [])).toBe('a  b\n-  -');
  });
});

describe('verdictChanges', () => {
  it('keeps only the samples where the state, inconclusiveness or the firing criteria changed', () => {
    const verdicts = [
      verdict(T0, 'REPLICATING'),
      verdict(T0 + 1_000, 'REPLICATING'),
      verdict(T0 + 2_000, 'REPLICATING', ['key-drift']),
      verdict(T0 + 3_000, 'REPLICATING', ['key-drift']),
      verdict(T0 + 4_000, 'REPLICATING', ['key-drift'], true),
      verdict(T0 + 5_000, 'CUTOVER_READY'),
    ];

    expect(verdictChanges(verdicts)).toEqual([
      { at: T0, state: 'REPLICATING', inconclusive: false, firing: [] },
      { at: T0 + 2_000, state: 'REPLICATING', inconclusive: false, firing: ['key-drift'] },
      { at: T0 + 4_000, state: 'REPLICATING', inconclusive: true, firing: ['key-drift'] },
      { at: T0 + 5_000, state: 'CUTOVER_READY', inconclusive: false, firing: [] },
    ]);
  });

  it('is empty without verdicts', () => {
    expect(verdictChanges([])).toEqual([]);
  });
});

describe('renderReplay', () => {
  it('prints the transitions, the verdict changes, the refused actions and the final verdict', () => {
    const final = verdict(T0 + 2_000, 'REPLICATING', ['key-drift']);
    const result: ReplayResult = {
      timeline: [],
      verdicts: [verdict(T0, 'REPLICATING'), verdict(T0 + 2_000, 'REPLICATING', ['key-drift'])],
      final,
      refused: [
        {
          at: T0 + 3_000,
          action: { type: 'cutover', actor: 'rm' },
          reason: 'cutover is possible from CUTOVER_READY only',
        },
      ],
      state: {} as ReplayResult['state'],
    };

    expect(renderReplay(result).split('\n')).toEqual([
      'replayed 2 samples from 2026-01-01T00:00:00Z to 2026-01-01T00:00:02Z',
      '',
      'timeline (0 transitions):',
      '  (no transitions)',
      '',
      'verdicts (2 changes over 2 samples):',
      '  2026-01-01T00:00:00Z  REPLICATING  firing: none',
      '  2026-01-01T00:00:02Z  REPLICATING  firing: key-drift',
      '',
      'refused actions (1):',
      '  2026-01-01T00:00:03Z  cutover by rm: cutover is possible from CUTOVER_READY only',
      '',
      'final: REPLICATING, coverage 100.0%, elapsed 0ms of 1s',
    ]);
  });
});

describe('renderStatus', () => {
  function status(over: Partial<TenantStatus> = {}): TenantStatus {
    const memory: CriterionEvidence = {
      ...evidence('memory'),
      metric: 'targetMemoryPct',
      status: 'nodata',
      value: null,
      worst: null,
      firing: false,
      cause: 'no maxmemory on 127.0.0.1:7001',
    };
    const drift: CriterionEvidence = {
      ...evidence('key-drift'),
      status: 'ok',
      value: 0,
      worst: 0,
      firing: false,
      scope: 'db3',
      detail: 'target 5,012 within legacy 4,990–5,031 during the pass',
    };
    return {
      ...verdict(T0, 'REPLICATING'),
      inconclusive: true,
      coverage: 0.8,
      criteria: [memory, drift],
      inconclusiveReasons: ['coverage 80.0 % below the 95 % floor', 'memory: no maxmemory on 127.0.0.1:7001'],
      judged: true,
      version: 3,
      lastSample: { at: T0, durationMs: 12, complete: true, failedNodes: [] },
      audit: [],
      ...over,
    };
  }

  it('says why the verdict is inconclusive and why each criterion has no data, or what its value is', () => {
    const lines = renderStatus(status(), T0 + 1_000).split('\n');

    expect(lines[0]).toBe('tenant acme: REPLICATING (INCONCLUSIVE)');
    expect(lines[1]).toBe(
      '  inconclusive: coverage 80.0 % below the 95 % floor; memory: no maxmemory on 127.0.0.1:7001',
    );
    expect(lines).toContain('why:');
    expect(lines).toContain('  memory (no data): no maxmemory on 127.0.0.1:7001');
    expect(lines).toContain('  key-drift@db3: target 5,012 within legacy 4,990–5,031 during the pass');
  });

  it('prints no reasons and no why section when there is nothing to explain', () => {
    const text = renderStatus(
      status({ inconclusive: false, inconclusiveReasons: [], criteria: [evidence('key-drift')] }),
      T0,
    );

    expect(text.split('\n')[0]).toBe('tenant acme: REPLICATING');
    expect(text).not.toContain('inconclusive:');
    expect(text).not.toContain('why:');
  });
});
