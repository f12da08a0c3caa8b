import { describe, expect, it } from 'vitest';
import { summarizeMismatches } from '../../../src/metrics/index.js';
import { renderTenantPage } from '../../../src/pages/index.js';
import type { TenantView } from '../../../src/release/index.js';
import type { CriterionEvidence } from '../../../src/soak/index.js';
import { sessionKeyMissing } from '../../support/mismatches.js';

const NOW = Date.parse('2026-03-02T10:00:00Z');

const criterion = (over: Partial<CriterionEvidence>): CriterionEvidence => ({
  id: 'spot-check',
  metric: 'spotCheckMismatches',
  severity: 'critical',
  status: 'breach',
  value: 37,
  worst: 5,
  threshold: 0,
  op: '>',
  aggregate: 'sum',
  breachCount: 3,
  consecutiveBreaches: 3,
  firing: true,
  firingSince: NOW - 120_000,
  lastBreachAt: NOW - 30_000,
  ...over,
});

function page(criteria: CriterionEvidence[]): string {
  const status: TenantView = {
    tenant: 'acme',
    state: 'REPLICATING',
    phase: 'replication',
    inconclusive: false,
    inconclusiveReasons: [],
    coverage: 0.99,
    elapsedMs: 60_000,
    remainingMs: 120_000,
    requiredMs: 180_000,
    criteria,
    firing: criteria.filter((c) => c.firing),
    resets: [],
    lastSampleAt: NOW - 30_000,
    judged: true,
    version: 3,
    lastSample: { at: NOW - 30_000, durationMs: 4, complete: true, failedNodes: [] },
    audit: [],
    phaseStartedAt: NOW - 600_000,
    actions: ['abort'],
  };
  return renderTenantPage({
    status,
    history: [],
    events: [],
    audit: [],
    from: NOW - 600_000,
    to: NOW,
    now: NOW,
  });
}

describe('tenant page: the spot-check mismatches', () => {
  it('shows the summary under the spot-check criterion, patterns escaped', () => {
    const mismatches = summarizeMismatches([
      ...Array.from({ length: 36 }, () => sessionKeyMissing()),
      {
        db: 0,
        pattern: '<b>x</b>:*',
        kind: 'ttlDropped' as const,
        legacyType: 'hash',
        targetType: 'hash',
        legacyTtl: 'ge1h' as const,
        targetTtl: 'none' as const,
      },
    ]);
    const html = page([criterion({ mismatches })]);
    const start = html.indexOf('<tr class="mismatches" data-mismatches="spot-check">');
    expect(start).toBeGreaterThan(0);
    const row = html.slice(start, html.indexOf('</table></td></tr>', start));
    // Right after the criterion's own row.
    expect(html).toMatch(/data-criterion="spot-check">[\s\S]*?<\/tr><tr class="mismatches"/);
    expect(row).toContain(
      '37 mismatches, 36 of 37 (97 %) in db 2 `session:*`, 36 of 37 (97 %) with TTL &lt; 60 s (missing on target 36, TTL dropped on target 1): expired in flight?',
    );
    expect(row).toContain('<td>db 2 session:*</td><td>36</td>');
    expect(row).toContain('<td>db 0 &lt;b&gt;x&lt;/b&gt;:*</td><td>1</td>');
    expect(row).toContain('<td>TTL &lt; 60 s</td><td>36</td>');
    expect(row).toContain('<td>TTL dropped on target</td><td>1</td>');
    expect(row).toContain('<td>hash → hash</td><td>1</td>');
    expect(html).not.toContain('<b>x</b>');
  });

  it('adds nothing when the criterion has no mismatches', () => {
    expect(page([criterion({ status: 'ok', value: 0, firing: false })])).not.toContain('class="mismatches"');
  });
});
