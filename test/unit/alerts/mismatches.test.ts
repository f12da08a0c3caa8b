import { describe, expect, it } from 'vitest';
import { type AlertPayload, type FiringCriterion, planAlerts } from '../../../src/alerts/index.js';
import { type MismatchDescriptor, summarizeMismatches } from '../../../src/metrics/index.js';
import { sessionKeyMissing } from '../../support/mismatches.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const MIN = 60_000;
const opts = { repeatEveryMs: 30 * MIN, alertTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts' };

const d = sessionKeyMissing;

const spot = (descriptors: MismatchDescriptor[]): FiringCriterion => ({
  id: 'spot-check',
  metric: 'spotCheckMismatches',
  severity: 'critical',
  value: descriptors.length,
  threshold: 0,
  op: '>',
  since: T0 - 2 * MIN,
  mismatches: summarizeMismatches(descriptors),
});

function alertOf(firing: FiringCriterion[]) {
  const [alert] = planAlerts(
    {
      tenant: 'acme',
      now: T0,
      state: 'REPLICATING',
      firing,
      transitions: [],
      coverage: 1,
      remainingMs: null,
    },
    undefined,
    opts,
  ).messages;
  if (!alert) throw new Error('no alert');
  const payload = JSON.parse((JSON.parse(alert.structured ?? '{}') as { sqs: string }).sqs) as AlertPayload;
  return { alert, payload };
}

describe('the spot-check alert summarizes its mismatches', () => {
  it('names the db, pattern and TTL class that hold them, in the text and the payload', () => {
    const { alert, payload } = alertOf([spot(Array.from({ length: 37 }, () => d({})))]);
    expect(alert.body).toContain(
      '  Mismatches: 37 mismatches, all in db 2 `session:*`, all with TTL < 60 s (missing on target 37): expired in flight?',
    );
    expect(alert.body).toContain('  By pattern: db 2 `session:*` 37');
    const [firing] = payload.firing ?? [];
    expect(firing?.mismatches).toMatchObject({
      v: 1,
      total: 37,
      finding: {
        kind: 'concentrated',
        db: { db: 2, count: 37 },
        pattern: { db: 2, pattern: 'session:*', count: 37 },
      },
      hints: ['expiredInFlight'],
      byKind: { missing: 37 },
      byTtl: { lt60s: 37 },
    });
  });

  it('says when missing keys are spread over every pattern', () => {
    const spread = [0, 1, 3].flatMap((db) =>
      ['user:*', 'cart:*', 'order:*:items', 'feed:*'].map((pattern) => d({ db, pattern })),
    );
    const ttls = ['none', 'lt1h', 'ge1h'] as const;
    const { alert, payload } = alertOf([
      spot(spread.map((x, i) => ({ ...x, legacyTtl: ttls[i % 3] ?? 'none' }))),
    ]);
    expect(alert.body).toContain(
      '  Mismatches: 12 mismatches spread over 10+ patterns in 3 dbs (missing on target 12)',
    );
    expect(alert.body).toMatch(/ {2}By pattern: (db \d `[a-z:*]+` 1, ){5}other patterns 7$/m);
    expect(payload.firing?.[0]?.mismatches?.finding).toEqual({
      kind: 'spread',
      dbs: 3,
      patterns: 10,
      morePatterns: true,
    });
    expect(payload.firing?.[0]?.mismatches?.hints).toEqual([]);
  });

  it('adds nothing to a criterion without mismatches', () => {
    const { alert, payload } = alertOf([
      {
        id: 'evictions',
        metric: 'targetEvictions',
        severity: 'critical',
        value: 5,
        threshold: 0,
        op: '>',
        since: T0,
      },
    ]);
    expect(alert.body).not.toContain('Mismatches:');
    expect(payload.firing?.[0]).not.toHaveProperty('mismatches');
  });
});
