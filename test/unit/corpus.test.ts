import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../src/api/index.js';
import { authorizeRequest, parseTokenHashes } from '../../src/auth/index.js';
import { ConfigError, parseConfigText } from '../../src/config/index.js';
import { parseAlarmStateChange, parseElastiCacheNotification } from '../../src/events/index.js';
import { logger, metrics } from '../../src/observability/index.js';
import { memoryStore } from '../support/memoryStore.js';
import { quietLog, tenantInput, unitConfig, unitTickDeps } from '../support/unitTick.js';

// Bad input from test/corpus/: API requests, authorizer headers, SNS and EventBridge events, config files
// (truncated, huge, wrong types, unicode, __proto__, injection). Each gets its expected clear error; none
// crashes its handler or leaves state behind.
const CORPUS = resolve(import.meta.dirname, '../corpus');
const read = <T>(name: string) => JSON.parse(readFileSync(join(CORPUS, name), 'utf8')) as T;
/** `HUGE:<n>` / `HUGE-REASON:<n>` / `HUGE-BEARER:<n>` in the corpus stand for big values built here. */
function expand(value: string | undefined): string | undefined {
  const m = /^HUGE(-REASON|-BEARER)?:(\d+)$/.exec(value ?? '');
  if (!m) return value;
  const big = 'x'.repeat(Number(m[2]));
  return m[1] === '-REASON' ? JSON.stringify({ reason: big }) : m[1] === '-BEARER' ? `Bearer ${big}` : big;
}

const NOW = Date.parse('2026-03-02T10:00:00Z');
const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

describe('corpus: API requests', () => {
  const cases =
    read<
      {
        name: string;
        method: 'GET' | 'POST';
        path: string;
        params?: Record<string, string>;
        body?: string;
        contentType?: string;
        status: number;
        error: string;
      }[]
    >('api.json');
  for (const c of cases)
    it(`${c.name}: ${c.status}`, async () => {
      const store = memoryStore({ now: NOW });
      const { deps } = unitTickDeps(unitConfig([tenantInput('acme')]), store);
      const handler = createApiHandler({
        runtime: () => Promise.resolve({ deps }),
        logger,
        metrics,
        now: () => NOW,
      });
      const params =
        c.params && Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, expand(v) ?? v]));
      const routeKey = c.method === 'GET' && c.params ? 'GET /tenants/{id}/status' : `${c.method} ${c.path}`;
      const event = {
        version: '2.0',
        routeKey: c.method === 'POST' ? 'POST /tenants/{id}/actions/{action}' : routeKey,
        rawPath: c.path,
        rawQueryString: '',
        headers: c.contentType ? { 'content-type': c.contentType } : {},
        ...(params ? { pathParameters: params } : {}),
        ...(c.body !== undefined ? { body: expand(c.body) } : {}),
        isBase64Encoded: false,
        requestContext: {
          http: {
            method: c.method,
            path: c.path,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 't',
          },
          routeKey,
          stage: '$default',
          requestId: 'r',
          timeEpoch: NOW,
          authorizer: { lambda: { principal: 'alice', scopes: 'read,action', tenants: '*' } },
        },
      } as unknown as APIGatewayProxyEventV2;

      const res = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;

      expect([res.statusCode, res.body]).toEqual([c.status, expect.stringMatching(new RegExp(c.error))]);
      // Refused whole: nothing was written.
      expect(await store.auditTrail('acme')).toEqual([]);
      expect(await store.getState('acme')).toBeUndefined();
    });
});

describe('corpus: authorizer headers', () => {
  const valid = 'valid-token';
  const table = parseTokenHashes(`alice=${createHash('sha256').update(valid).digest('hex')}`);
  const cases = read<{ name: string; headers: Record<string, string>; reason: string }[]>('headers.json');
  for (const c of cases)
    it(`${c.name}: ${c.reason}`, () => {
      const headers = Object.fromEntries(
        Object.entries(c.headers).map(([k, v]) => [
          k,
          v === 'Bearer HASH-OF-VALID'
            ? `Bearer ${createHash('sha256').update(valid).digest('hex')}`
            : (expand(v) ?? v),
        ]),
      );
      expect(authorizeRequest({ headers, requestContext: { http: { method: 'GET' } } }, [table])).toEqual({
        ok: false,
        reason: c.reason,
      });
    });
});

describe('corpus: SNS (ElastiCache notifications) and EventBridge (alarm changes)', () => {
  const tenants = [{ id: 'acme', replicationGroupId: 'acme' }];
  for (const c of read<{ name: string; event: unknown; error: string }[]>('sns.json'))
    it(`SNS ${c.name}: rejected, never thrown`, () => {
      const event = JSON.parse(
        JSON.stringify(c.event).replace(/"HUGE:(\d+)"/, (_, n) => `"${'x'.repeat(Number(n))}"`),
      );
      const out = parseElastiCacheNotification(event, tenants);
      expect(out.events).toEqual([]);
      expect(out.rejected.length).toBeGreaterThan(0);
      for (const r of out.rejected) {
        expect(r.reason).toMatch(new RegExp(c.error));
        // What is logged of the input is bounded.
        expect(JSON.stringify(r.raw ?? '').length).toBeLessThan(5_000);
      }
    });
  for (const c of read<{ name: string; event: unknown; error: string }[]>('eventbridge.json'))
    it(`EventBridge ${c.name}: rejected, never thrown`, () => {
      const event = JSON.parse(
        JSON.stringify(c.event).replace(/"HUGE:(\d+)"/, (_, n) => `"${'x'.repeat(Number(n))}"`),
      );
      const out = parseAlarmStateChange(event, [{ id: 'acme' }]);
      expect(out.events).toEqual([]);
      expect(out.rejected.map((r) => r.reason).join('\n')).toMatch(new RegExp(c.error));
      for (const r of out.rejected) expect(JSON.stringify(r.raw ?? '').length).toBeLessThan(5_000);
    });
});

describe('corpus: config files', () => {
  const dir = join(CORPUS, 'config');
  for (const file of readdirSync(dir).sort())
    it(`${file}: a ConfigError naming what is wrong`, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      const expected = /^# expect: (.+)$/m.exec(text)?.[1] ?? '.';
      const error = (() => {
        try {
          parseConfigText(text, file);
        } catch (e) {
          return e;
        }
      })();
      expect(error, file).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(file);
      if (expected !== '.') expect((error as Error).message).toContain(expected);
      // Nothing polluted.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

  it('a huge file (4 MB) is refused quickly with a clear error', () => {
    const text = `tenants:\n${'  - id: t\n    legacy: { url: redis://h:1 }\n    target: { url: redis://h:2 }\n'.repeat(60_000)}`;
    const started = Date.now();
    expect(() => parseConfigText(text, 'huge.yml')).toThrow(ConfigError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

void quietLog;
