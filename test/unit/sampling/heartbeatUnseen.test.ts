import { describe, expect, it } from 'vitest';
import { MAX_UNSEEN_WRITES, stillUnseen } from '../../../src/sampling/heartbeat.js';

const writes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ seq: (i + 1) * 10, at: (i + 1) * 1000 }));

describe('stillUnseen', () => {
  it('keeps the writes after the one the target shows, oldest first', () => {
    expect(stillUnseen(writes(4), 20)).toEqual([
      { seq: 30, at: 3000 },
      { seq: 40, at: 4000 },
    ]);
    expect(stillUnseen(writes(2), null)).toEqual(writes(2));
    expect(stillUnseen(writes(2), 20)).toEqual([]);
  });

  it('keeps the oldest unseen write when it caps the list, so the censored lag never shrinks', () => {
    const kept = stillUnseen(writes(40), null);

    expect(kept).toHaveLength(MAX_UNSEEN_WRITES);
    expect(kept[0]).toEqual({ seq: 10, at: 1000 });
    expect(kept.at(-1)).toEqual({ seq: 400, at: 40_000 });
  });
});
