import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/config/schema.js';

describe('policySchema refinements the judge relies on', () => {
  it('refuses two criteria with the same id in one phase', () => {
    const r = policySchema.safeParse({
      soak: {
        criteria: [
          { id: 'mem', metric: 'targetMemoryPct', threshold: 80 },
          { id: 'mem', metric: 'targetMemoryPct', threshold: 90 },
        ],
      },
    });

    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['soak', 'criteria', 1, 'id'] });
  });

  it('refuses a soak criterion on a metric measured only while replicating', () => {
    const r = policySchema.safeParse({
      soak: { criteria: [{ id: 'lag', metric: 'cdcLagMs', threshold: 1000 }] },
    });

    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('only during replication');
  });

  it('accepts the defaults', () => {
    expect(policySchema.parse({}).soak.criteria.length).toBeGreaterThan(0);
  });
});
