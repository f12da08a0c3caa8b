import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  authorizeRequest,
  grantContext,
  parseTokenHashes,
  parseTokenSecret,
  principalOf,
} from '../../../src/auth/index.js';

const sha = (token: string) => createHash('sha256').update(token).digest('hex');
const table = parseTokenHashes(
  `admin=${sha('t-admin')},viewer=${sha('t-view')}:read,acme-rm=${sha('t-acme')}:read+action:acme+acme-2`,
);
const req = (method: string, opts: { bearer?: string; cookie?: string; id?: string } = {}) => ({
  headers: {
    ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
    ...(opts.cookie ? { cookie: `theme=dark; soakwatch_session=${opts.cookie}` } : {}),
  },
  requestContext: { http: { method } },
  ...(opts.id ? { pathParameters: { id: opts.id } } : {}),
});

describe('authorizeRequest: who, with which scope, on which tenant', () => {
  it('accepts the bearer header or the session cookie', () => {
    expect(authorizeRequest(req('GET', { bearer: 't-view' }), [table])).toMatchObject({
      ok: true,
      grant: { principal: 'viewer', scopes: ['read'] },
    });
    expect(authorizeRequest(req('GET', { cookie: 't-admin' }), [table])).toMatchObject({
      ok: true,
      grant: { principal: 'admin' },
    });
  });

  it('needs read for GET and action for POST', () => {
    expect(authorizeRequest(req('POST', { bearer: 't-view', id: 'acme' }), [table])).toEqual({
      ok: false,
      reason: 'scope',
      principal: 'viewer',
    });
    expect(authorizeRequest(req('POST', { bearer: 't-admin', id: 'acme' }), [table]).ok).toBe(true);
  });

  it('limits a token to its tenants', () => {
    expect(authorizeRequest(req('GET', { bearer: 't-acme', id: 'acme-2' }), [table]).ok).toBe(true);
    expect(authorizeRequest(req('POST', { bearer: 't-acme', id: 'beta' }), [table])).toMatchObject({
      ok: false,
      reason: 'tenant',
    });
  });

  it('refuses no credentials, an unknown token, a token in another scheme', () => {
    expect(authorizeRequest(req('GET'), [table])).toEqual({ ok: false, reason: 'no-credentials' });
    expect(authorizeRequest(req('GET', { bearer: 'nope' }), [table])).toEqual({
      ok: false,
      reason: 'unknown-token',
    });
    expect(authorizeRequest({ headers: { authorization: 'Basic dDp0' } }, [table]).ok).toBe(false);
  });

  it('lets the secret override the environment for a principal it names', () => {
    const secret = parseTokenSecret({
      viewer: { hash: sha('rotated'), scopes: ['read'], tenants: ['acme'] },
    });
    expect(authorizeRequest(req('GET', { bearer: 't-view' }), [table, secret]).ok).toBe(false);
    expect(authorizeRequest(req('GET', { bearer: 'rotated' }), [table, secret])).toMatchObject({
      ok: true,
      grant: { principal: 'viewer', tenants: ['acme'] },
    });
  });
});

describe('the grant travels in the authorizer context and back through principalOf', () => {
  it('round-trips principal, scopes and tenants', () => {
    const outcome = authorizeRequest(req('GET', { bearer: 't-acme' }), [table]);
    if (!outcome.ok) throw new Error('denied');
    const context = grantContext(outcome.grant);
    expect(context).toEqual({ principal: 'acme-rm', scopes: 'read,action', tenants: 'acme,acme-2' });
    expect(principalOf({ requestContext: { authorizer: { lambda: context } } })).toEqual(outcome.grant);
  });

  it('is a 401 without an authorizer context, and read-only for a context without scopes', () => {
    const none = (() => {
      try {
        principalOf({ requestContext: {} });
      } catch (error) {
        return error;
      }
    })();
    expect(none).toBeInstanceOf(AuthError);
    expect((none as AuthError).status).toBe(401);
    expect(principalOf({ requestContext: { authorizer: { lambda: { principal: 'old' } } } }).scopes).toEqual([
      'read',
    ]);
  });
});

describe('parseTokenHashes with scopes and tenants', () => {
  it('names the entry of a bad scope or tenant list, never the hash', () => {
    expect(() => parseTokenHashes(`a=${sha('x')}:write`)).toThrow(/entry 1: .*scopes are read and action/);
    expect(() => parseTokenHashes(`a=${sha('x')}:read:{bad}`)).toThrow(/entry 1: .*tenant ids/);
    expect(() => parseTokenHashes(`a=${sha('x')}:read:acme:extra`)).toThrow(/too many ":" parts/);
    expect(() => parseTokenHashes(`a=${sha('x')}:write`)).not.toThrow(new RegExp(sha('x')));
  });
});

describe('properties of the token parsers', () => {
  it('parseTokenHashes either parses or throws a TokenTableError, never echoing a hash or a token', async () => {
    const fc = (await import('fast-check')).default;
    const { TokenTableError } = await import('../../../src/auth/index.js');
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          parseTokenHashes(text);
        } catch (error) {
          expect(error).toBeInstanceOf(TokenTableError);
          const message = (error as Error).message;
          for (const part of text.split(/[,=:+]/)) if (part.length >= 16) expect(message).not.toContain(part);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('a parsed grant never has action without read, and the request decision never throws', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(
        fc.record({
          authorization: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
          cookie: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
          method: fc.constantFrom('GET', 'POST', 'DELETE', 'get', ''),
          id: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        }),
        (r) => {
          const outcome = authorizeRequest(
            {
              headers: {
                ...(r.authorization !== undefined ? { authorization: r.authorization } : {}),
                ...(r.cookie !== undefined ? { cookie: r.cookie } : {}),
              },
              requestContext: { http: { method: r.method } },
              ...(r.id !== undefined ? { pathParameters: { id: r.id } } : {}),
            },
            [table],
          );
          if (outcome.ok) expect(outcome.grant.scopes).toContain('read');
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
