import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  parseTokenHashes,
  parseTokenSecret,
  principalForToken,
} from '../../../src/auth/index.js';

const sha = (token: string) => createHash('sha256').update(token).digest('hex');

describe('parseTokenHashes', () => {
  it('reads principal=sha256hex pairs', () => {
    const table = parseTokenHashes(` alice=${sha('a')} ,bob=${sha('b').toUpperCase()}`);

    expect([...table.keys()]).toEqual(['alice', 'bob']);
  });

  it('is empty when the variable is unset or blank', () => {
    expect(parseTokenHashes(undefined).size).toBe(0);
    expect(parseTokenHashes('  ').size).toBe(0);
  });

  it('names the entry and the reason when a hash is not 64 hex digits', () => {
    expect(() => parseTokenHashes(`alice=${sha('a')},bob=plain-token`)).toThrow(/entry 2: .*64 hex digits/);
  });

  it('does not echo the value of a bad entry', () => {
    expect(() => parseTokenHashes('alice=s3cret-token')).toThrow(/^(?!.*s3cret).*$/);
  });
});

describe('principalForToken', () => {
  const table = parseTokenHashes(`alice=${sha('token-a')},bob=${sha('token-b')}`);

  it('maps a known token to its principal', () => {
    expect(principalForToken('token-b', table)).toBe('bob');
  });

  it('returns undefined for an unknown or empty token', () => {
    expect(principalForToken('token-c', table)).toBeUndefined();
    expect(principalForToken('', table)).toBeUndefined();
  });

  it('never matches the stored hash itself used as a token', () => {
    expect(principalForToken(sha('token-a'), table)).toBeUndefined();
  });
});

describe('parseTokenSecret', () => {
  it('reads a JSON object of principal → hash', () => {
    const table = parseTokenSecret({ carol: sha('c') });

    expect(principalForToken('c', table)).toBe('carol');
  });

  it('rejects a secret that is not an object of hashes', () => {
    expect(() => parseTokenSecret('just a string')).toThrow(/API token secret/);
    expect(() => parseTokenSecret({ carol: 'short' })).toThrow(/carol/);
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer authorization (any case)', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer xyz')).toBe('xyz');
  });

  it('is empty for another scheme, a missing header or a bare token', () => {
    expect(bearerToken('Basic dXNlcjpwdw==')).toBe('');
    expect(bearerToken(undefined)).toBe('');
    expect(bearerToken('abc')).toBe('');
  });
});
