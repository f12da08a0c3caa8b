import { describe, expect, it } from 'vitest';
import { parseAclLog, withRefusedWrites } from '../../../src/sampling/refusedWrites.js';
import type { Sample } from '../../../src/sampling/types.js';
import { asSample, inProgress, node } from './fixtures.js';

const NOW = 1_000_000_000;
const FENCED = new Set(['billing', 'orders']);
const entry = (fields: Record<string, string | number>) => Object.entries(fields).flat().map(String);

describe('parseAclLog', () => {
  it("keeps the fenced users' refused commands since the fence, by creation time when the server gives it", () => {
    const raw = [
      entry({
        count: 3,
        reason: 'command',
        object: 'set',
        username: 'billing',
        'age-seconds': 1,
        'client-info': 'id=7 addr=10.0.0.9:5000 name=billing user=billing cmd=set',
      }),
      entry({ count: 1, reason: 'command', object: 'get', username: 'soakwatch', 'age-seconds': 1 }),
      entry({ count: 2, reason: 'auth', object: 'AUTH', username: 'orders', 'age-seconds': 1 }),
      entry({ count: 5, reason: 'command', object: 'del', username: 'orders', 'age-seconds': 500 }),
      entry({
        count: 4,
        reason: 'command',
        object: 'hset',
        username: 'orders',
        'age-seconds': 1,
        'timestamp-created': NOW - 400_000,
      }),
    ];
    const got = parseAclLog(raw, FENCED, NOW - 60_000, NOW);
    expect(got).toEqual([
      {
        username: 'billing',
        command: 'set',
        reason: 'command',
        count: 3,
        client: 'id=7 addr=10.0.0.9:5000 cmd=set',
        ageSeconds: 1,
      },
    ]);
  });
});

describe('withRefusedWrites', () => {
  const sample = (at: number): Sample =>
    asSample(inProgress([node('legacy', '10.0.0.1:6379', { role: 'master' })], [], at));
  const writes = [
    { username: 'billing', command: 'set', reason: 'command', count: 3, client: '', ageSeconds: 2 },
  ];

  it('counts the refusals since the previous reading, naming the writer, and keeps the total for the next', () => {
    const first = withRefusedWrites(sample(NOW), { total: 3, entries: writes }, undefined);
    expect(first.derived.legacyRefusedWrites).toBe(3);
    expect(first.notes.legacyRefusedWrites).toContain('billing set ×3');
    const same = withRefusedWrites(sample(NOW + 60_000), { total: 3, entries: writes }, first);
    expect(same.derived.legacyRefusedWrites).toBe(0);
    const more = withRefusedWrites(sample(NOW + 120_000), { total: 5, entries: writes }, same);
    expect(more.derived.legacyRefusedWrites).toBe(2);
    // A log that shrank (ACL LOG RESET) counts what it holds: never a refusal lost.
    const reset = withRefusedWrites(sample(NOW + 180_000), { total: 1, entries: writes }, more);
    expect(reset.derived.legacyRefusedWrites).toBe(1);
  });

  it('a clean fence is 0; an unread ACL LOG is no data with why, never 0', () => {
    const clean = withRefusedWrites(sample(NOW), { total: 0, entries: [] }, undefined);
    expect(clean.derived.legacyRefusedWrites).toBe(0);
    expect(clean.notes.legacyRefusedWrites).toBe('no write refused since the fence');
    const failed = withRefusedWrites(
      sample(NOW),
      { error: 'NOPERM no permissions to run acl|log' },
      undefined,
    );
    expect(failed.derived.legacyRefusedWrites).toBeNull();
    expect(failed.notes.legacyRefusedWrites).toContain('ACL LOG not read');
  });
});
