import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, durationSchema, MAX_DURATION_MS, parseConfig } from '../../../src/config/index.js';
import { redactUrl } from '../../../src/util/redact.js';

const tenant = (over: Record<string, unknown> = {}) => ({
  id: 'acme',
  legacy: { url: 'redis://10.0.0.1:6379' },
  target: { url: 'redis://10.0.0.2:6379' },
  ...over,
});
const webhook = (url: string) =>
  tenant({ hooks: [{ id: 'w', on: ['PASSED'], action: { type: 'webhook', url, secret: { env: 'WH' } } }] });

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('webhook URLs', () => {
  it('must be https, or http to the loopback host only', () => {
    expect(issuesOf({ tenants: [webhook('https://hooks.example.com/soakwatch')] })).toEqual([]);
    expect(issuesOf({ tenants: [webhook('http://127.0.0.1:8080/hook')] })).toEqual([]);
    expect(issuesOf({ tenants: [webhook('http://hooks.example.com/soakwatch')] })).toEqual([
      {
        path: 'tenants[0].hooks[0].action.url',
        message: 'must be https:// (http:// only to 127.0.0.1 or localhost)',
      },
    ]);
  });

  it('must not carry credentials, and the error does not echo them', () => {
    const issues = issuesOf({ tenants: [webhook('https://user:hunter2@hooks.example.com/x')] });
    expect(issues).toEqual([
      {
        path: 'tenants[0].hooks[0].action.url',
        message: 'must not hold credentials (sign with `secret` instead)',
      },
    ]);
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });
});

describe('durations', () => {
  it('are more than 0 and at most a year, with the field named', () => {
    expect(issuesOf({ tenants: [tenant({ soak: { sampleInterval: 0 } })] })).toEqual([
      {
        path: 'tenants[0].soak.sampleInterval',
        message: '0 ms is out of range: more than 0 and at most 366d',
      },
    ]);
    expect(issuesOf({ tenants: [tenant({ soak: { sampleInterval: '0s' } })] })[0]?.path).toBe(
      'tenants[0].soak.sampleInterval',
    );
    expect(issuesOf({ tenants: [tenant({ soak: { soak: { duration: '9999d' } } })] })).toEqual([
      {
        path: 'tenants[0].soak.soak.duration',
        message: '"9999d" is out of range: more than 0 and at most 366d',
      },
    ]);
  });

  it('property: a duration is either refused or in (0, 366d]', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.double()), (value) => {
        const r = durationSchema.safeParse(value);
        if (r.success) expect(r.data > 0 && r.data <= MAX_DURATION_MS && Number.isInteger(r.data)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('redactUrl', () => {
  it('hides the password and secret query values, parsed or not', () => {
    expect(redactUrl('redis://u:pw@h:6379/0?password=x&db=1')).toBe(
      'redis://u:***@h:6379/0?password=***&db=1',
    );
    // Not a URL the parser takes (a space in the host): the fallback drops every query value.
    const broken = redactUrl('redis://h st:6379/?password=s3cret&token=t0k');
    expect(broken).not.toMatch(/s3cret|t0k/);
  });

  it('property: no password or query value of a redis URL survives', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9]{6,20}$/);
    fc.assert(
      fc.property(word, word, fc.boolean(), (pw, token, broken) => {
        const url = `redis://user:${pw}@${broken ? 'bad host' : 'host'}:6379/0?password=${token}`;
        const shown = redactUrl(url);
        expect(shown).not.toContain(pw);
        expect(shown).not.toContain(token);
      }),
      { numRuns: 500 },
    );
  });
});
