import { describe, expect, it } from 'vitest';
import { renderStatusHtml } from '../../../src/api/index.js';
import type { TenantStatus } from '../../../src/release/index.js';
import type { CriterionEvidence } from '../../../src/soak/index.js';

const T0 = Date.UTC(2026, 0, 1);

function criterion(over: Partial<CriterionEvidence>): CriterionEvidence {
  return {
    id: 'memory',
    metric: 'targetMemoryPct',
    severity: 'critical',
    status: 'ok',
    value: 40,
    worst: 41,
    threshold: 90,
    op: '>',
    aggregate: 'max',
    breachCount: 0,
    consecutiveBreaches: 0,
    firing: false,
    firingSince: null,
    lastBreachAt: null,
    ...over,
  };
}

function status(over: Partial<TenantStatus> = {}): TenantStatus {
  return {
    tenant: 'acme',
    state: 'SOAKING',
    phase: 'soak',
    inconclusive: true,
    inconclusiveReasons: ['coverage 80.0 % below the 95 % floor'],
    coverage: 0.8,
    elapsedMs: 60_000,
    remainingMs: 120_000,
    requiredMs: 180_000,
    criteria: [
      criterion({ status: 'nodata', value: null, worst: null, cause: 'no maxmemory on 127.0.0.1:7001' }),
      criterion({
        id: 'sampler',
        metric: 'samplerFailures',
        value: 1,
        status: 'breach',
        firing: true,
        detail: '127.0.0.1:7003 unreachable: no answer within the sample budget',
      }),
    ],
    firing: [],
    resets: [],
    lastSampleAt: T0,
    judged: true,
    version: 2,
    lastSample: { at: T0, durationMs: 10, complete: false, failedNodes: ['127.0.0.1:7003'] },
    audit: [],
    ...over,
  };
}

describe('renderStatusHtml', () => {
  it("shows why the verdict is inconclusive and each criterion's cause or detail", () => {
    const html = renderStatusHtml([status()], T0 + 5_000);

    expect(html).toContain('<ul class="reasons"><li>coverage 80.0 % below the 95 % floor</li></ul>');
    expect(html).toContain('<td class="why">no maxmemory on 127.0.0.1:7001</td>');
    expect(html).toContain(
      '<td class="why">127.0.0.1:7003 unreachable: no answer within the sample budget</td>',
    );
    expect(html).toContain('(partial: 127.0.0.1:7003)');
  });

  it('escapes every value it renders, notes and reasons included', () => {
    const evil = '<img src=x onerror="alert(1)">';
    const html = renderStatusHtml(
      [
        status({
          tenant: evil,
          inconclusiveReasons: [evil],
          criteria: [criterion({ id: evil, metric: evil, status: 'nodata', value: null, cause: evil })],
          resets: [{ at: T0, reason: evil }],
          lastSample: { at: T0, durationMs: 1, complete: false, failedNodes: [evil] },
        }),
      ],
      T0,
    );

    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });

  it('says nothing about reasons when the verdict is conclusive', () => {
    const html = renderStatusHtml([status({ inconclusive: false, inconclusiveReasons: [] })], T0);

    expect(html).not.toContain('Inconclusive because');
    expect(html).not.toContain('INCONCLUSIVE');
  });
});
