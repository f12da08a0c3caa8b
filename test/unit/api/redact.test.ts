import { describe, expect, it } from 'vitest';
import { nodePseudonym, redactAddresses } from '../../../src/api/redact.js';

describe('redactAddresses (API answers)', () => {
  it('replaces host:port in every string by a stable pseudonym, and leaves times and ARNs alone', () => {
    const status = {
      lastSample: { failedNodes: ['10.0.1.20:6379', 'acme-0001-001.abc123.use1.cache.amazonaws.com:6380'] },
      cause: 'cannot read 10.0.1.20:6379 (ECONNREFUSED)',
      at: '2026-03-02T10:00:00.000Z',
      topic: 'arn:aws:sns:us-east-1:123456789012:release',
    };

    const out = redactAddresses(status);

    expect(out.lastSample.failedNodes).toEqual([
      nodePseudonym('10.0.1.20:6379'),
      nodePseudonym('acme-0001-001.abc123.use1.cache.amazonaws.com:6380'),
    ]);
    expect(out.cause).toBe(`cannot read ${nodePseudonym('10.0.1.20:6379')} (ECONNREFUSED)`);
    expect(JSON.stringify(out)).not.toMatch(/6379|6380|10\.0\.1\.20/);
    expect(out.at).toBe(status.at);
    expect(out.topic).toBe(status.topic);
  });
});
