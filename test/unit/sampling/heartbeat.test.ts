import { describe, expect, it } from 'vitest';
import { parseHeartbeat } from '../../../src/sampling/heartbeat.js';

// The heartbeat's round trip through real Redis is in test/integration/heartbeat.test.ts.
describe('heartbeat', () => {
  it('parses only well-formed heartbeat values', () => {
    expect(parseHeartbeat('12:1700000000000')).toEqual({ seq: 12, at: 1_700_000_000_000 });
    expect(parseHeartbeat('garbage')).toBeNull();
    expect(parseHeartbeat(null)).toBeNull();
  });
});
