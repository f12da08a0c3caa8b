import { describe, expect, it } from 'vitest';
import { PERSISTENT_FLAGS_LUA, parseFlagsReply } from '../../../src/sampling/persistentFlags.js';

describe('parseFlagsReply', () => {
  it('reads one flag per processed key: no expiry, TTL, gone', () => {
    const reply = [3, 41, '10-'];

    const parsed = parseFlagsReply(reply);

    expect(parsed).toEqual({ processed: 3, elapsedUs: 41, flags: ['persistent', 'volatile', 'gone'] });
  });

  it('accepts a Buffer flag string and an empty batch', () => {
    expect(parseFlagsReply([2, 5, Buffer.from('11')]).flags).toEqual(['persistent', 'persistent']);
    expect(parseFlagsReply([0, 1, '']).flags).toEqual([]);
  });

  it('refuses replies whose shape or flags do not match', () => {
    expect(() => parseFlagsReply([2, 5, '1'])).toThrow(/shape/);
    expect(() => parseFlagsReply(['2', 5, '11'])).toThrow(/shape/);
    expect(() => parseFlagsReply('OK')).toThrow(/shape/);
    expect(() => parseFlagsReply([1, 5, 'x'])).toThrow(/unexpected flag/);
  });
});

describe('PERSISTENT_FLAGS_LUA', () => {
  it('has no shebang, so cross-slot keys of one node are allowed as before Redis 7', () => {
    expect(PERSISTENT_FLAGS_LUA.trimStart().startsWith('#!')).toBe(false);
  });
});
