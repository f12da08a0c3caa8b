import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { infoNumber, infoString, parseInfo } from '../../../src/redis/index.js';

const SAMPLE = [
  '# Memory',
  'used_memory:1048576',
  'maxmemory:0',
  'mem_fragmentation_ratio:1.25',
  '',
  '# Replication',
  'role:master',
  'connected_slaves:2',
  'slave0:ip=10.0.0.2,port=6380,state=online,offset=1234,lag=0',
  'slave1:ip=10.0.0.3,port=6381,state=wait_bgsave,offset=0,lag=1',
  'master_replid:88388f81a1d266f8839beb42b9fba38ba2909771',
  'master_repl_offset:1300',
  '',
  '# Errorstats',
  'errorstat_ERR:count=3',
  'errorstat_NOPERM:count=1',
  '',
  '# Keyspace',
  'db0:keys=1,expires=0,avg_ttl=0',
  'db3:keys=42,expires=7,avg_ttl=1000,subexpiry=0',
].join('\r\n');

describe('parseInfo', () => {
  it('reads fields, keyspace lines, replica lines and errorstats', () => {
    const info = parseInfo(SAMPLE);

    expect(info.sections).toEqual(new Set(['memory', 'replication', 'errorstats', 'keyspace']));
    expect(infoNumber(info, 'used_memory')).toBe(1048576);
    expect(infoNumber(info, 'mem_fragmentation_ratio')).toBe(1.25);
    expect(infoString(info, 'role')).toBe('master');
    expect(info.keyspace).toEqual({ 0: { keys: 1, expires: 0 }, 3: { keys: 42, expires: 7 } });
    expect(info.replicas).toEqual([
      { address: '10.0.0.2:6380', offset: 1234, lagSeconds: 0, state: 'online' },
      { address: '10.0.0.3:6381', offset: 0, lagSeconds: 1, state: 'wait_bgsave' },
    ]);
    expect(info.errorstats).toEqual({ ERR: 3, NOPERM: 1 });
  });

  it('reads commandstats with subcommands', () => {
    const info = parseInfo(
      'cmdstat_client|list:calls=2,usec=40,usec_per_call=20.00,rejected_calls=0,failed_calls=0\ncmdstat_set:calls=5,usec=9',
    );

    expect(info.commandstats).toEqual({ 'client|list': { calls: 2, usec: 40 }, set: { calls: 5, usec: 9 } });
  });

  it('leaves out values that are not numbers instead of reading them as 0', () => {
    const info = parseInfo(
      'used_memory:lots\ndb0:keys=x,expires=0\nslave0:ip=a,port=,offset=1\nerrorstat_ERR:count=',
    );

    expect(infoNumber(info, 'used_memory')).toBeUndefined();
    expect(info.keyspace).toEqual({});
    expect(info.replicas).toEqual([]);
    expect(info.errorstats).toEqual({});
  });

  it('ignores unknown fields and lines without a colon', () => {
    const info = parseInfo('# Future\nsome_new_field:value:with:colons\njust text\n:novalue\nrole:slave');

    expect(infoString(info, 'some_new_field')).toBe('value:with:colons');
    expect(infoString(info, 'role')).toBe('slave');
    expect(info.fields.size).toBe(2);
  });

  it('answers an empty result for input that is not a string', () => {
    expect(parseInfo(undefined).fields.size).toBe(0);
    expect(parseInfo(42).keyspace).toEqual({});
  });

  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        parseInfo(text);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never throws on random INFO-like lines, and keeps keyspace counts non-negative numbers', () => {
    const token = fc.constantFrom(
      'db0',
      'db15',
      'db99999999',
      'slave0',
      'errorstat_',
      'errorstat_ERR',
      'cmdstat_x',
      '__proto__',
      'errorstat___proto__',
      'role',
      '#',
      '',
    );
    const value = fc.array(
      fc.tuple(
        fc.constantFrom('keys', 'expires', 'ip', 'port', 'offset', 'lag', 'state', 'count', 'calls', '', '='),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 6 },
    );
    const line = fc
      .tuple(token, fc.constantFrom(':', '', '::', ': '), value)
      .map(([k, sep, kv]) => `${k}${sep}${kv.map(([a, b]) => `${a}=${b}`).join(',')}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const info = parseInfo(lines.join(eol));
        for (const entry of Object.values(info.keyspace)) {
          expect(Number.isFinite(entry.keys)).toBe(true);
          expect(Number.isFinite(entry.expires)).toBe(true);
        }
        expect(Object.getPrototypeOf(info.errorstats)).toBe(Object.prototype);
      }),
      { numRuns: 2_000 },
    );
  });
});
