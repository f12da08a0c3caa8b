import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/errors.js';
import { parseDbMap, parseInstant } from '../../../src/cli/parse.js';

describe('parseDbMap', () => {
  it('maps legacy dbs to target prefixes, an empty prefix included', () => {
    expect(parseDbMap('0=,1=svc1:,2=svc2:')).toEqual({ '0': '', '1': 'svc1:', '2': 'svc2:' });
  });

  it('keeps everything after the first = as the prefix and ignores empty parts', () => {
    expect(parseDbMap('3=a=b:,,')).toEqual({ '3': 'a=b:' });
  });

  it.each([
    ['x', /"x" is not db=prefix/],
    ['=svc:', /"=svc:" is not db=prefix/],
    ['16=', /"16=" is not db=prefix/],
    ['-1=a:', /"-1=a:" is not db=prefix/],
    ['0=a:,0=b:', /db 0 is mapped twice/],
    ['', /give at least one db=prefix/],
  ])('refuses %j with a UsageError naming --db-map', (text, message) => {
    const parse = () => parseDbMap(text);

    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
    expect(parse).toThrow(/^--db-map: /);
  });
});

describe('parseInstant', () => {
  it('reads epoch milliseconds', () => {
    expect(parseInstant('1767225600000', '--now')).toBe(1_767_225_600_000);
  });

  it('reads an ISO-8601 date', () => {
    expect(parseInstant('2026-01-01T00:00:05Z', '--from')).toBe(Date.UTC(2026, 0, 1, 0, 0, 5));
  });

  it('refuses text that is not a time, naming the flag', () => {
    expect(() => parseInstant('yesterday', '--to')).toThrow(
      '--to: "yesterday" is not a time (epoch ms or ISO-8601)',
    );
  });
});
