import { describe, expect, it } from 'vitest';
import { CENSUS_TOP_NODES, censusOf } from '../../../src/tick/census.js';

describe('censusOf', () => {
  it('sums the processes per node, names the busiest and every node above the bound', () => {
    const census = censusOf(
      [
        { process: 'p1', at: 1, byNode: { 'a:1': 30, 'b:1': 2, 'z:1': 0 } },
        { process: 'p2', at: 2, byNode: { 'a:1': 25, 'c:1': 7 } },
        { process: 'p3', at: 3, byNode: { 'b:1': 40 } },
      ],
      41,
    );
    expect(census).toEqual({
      processes: 3,
      nodes: 3,
      total: 104,
      maxPerNode: 55,
      busiest: [
        { node: 'a:1', connections: 55 },
        { node: 'b:1', connections: 42 },
        { node: 'c:1', connections: 7 },
      ],
      bound: 41,
      overBound: [
        { node: 'a:1', connections: 55 },
        { node: 'b:1', connections: 42 },
      ],
    });
  });

  it(`keeps ${CENSUS_TOP_NODES} busiest nodes but every node above the bound`, () => {
    const byNode = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`n${i}:1`, 10 + i]));
    const census = censusOf([{ process: 'p', at: 0, byNode }], 9);
    expect(census.busiest.map((n) => n.node)).toEqual(['n8:1', 'n7:1', 'n6:1', 'n5:1', 'n4:1']);
    expect(census.overBound).toHaveLength(9);
  });

  it('is empty, not an error, with no report', () => {
    expect(censusOf([], 10)).toMatchObject({
      processes: 0,
      nodes: 0,
      total: 0,
      maxPerNode: 0,
      overBound: [],
    });
  });
});
