import { createError } from '@middy/util';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod';
import type { Scope } from '../auth/index.js';
import { SESSION_COOKIE } from '../auth/index.js';
import { tenantIdSchema } from '../config/schema.js';
import { isKnownMetric, metricKey } from '../metrics/index.js';
import {
  ASSETS,
  DEFAULT_POINTS,
  downsample,
  type HistoryEntry,
  MAX_POINTS,
  renderLogin,
  renderOverview,
  renderReport,
  renderTenantPage,
  safeNext,
  seriesOf,
} from '../pages/index.js';
import type { FenceDeps } from '../release/fence.js';
import { activeMutes, muteTenant, unmuteTenant } from '../release/mute.js';
import { evidenceReport } from '../release/report.js';
import { getStatus, listStatuses } from '../release/status.js';
import type { StatusDeps } from '../release/types.js';
import type { SoakEvent } from '../soak/index.js';
import { SOAK_STATES } from '../soak/index.js';
import { FENCE_DOC, type FenceRecord } from '../tick/fence.js';
import { html, json, jsonBody, parseOr400 } from './http.js';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyResultV2;

/** The principal of an API token, by the authorizer's own verification; undefined when it is not one. */
export type TokenVerifier = (token: string) => Promise<string | undefined> | string | undefined;

/** History entries one request reads at most (a minute's samples for two weeks). */
const HISTORY_READ_CAP = 20_000;
/** Audit entries a page of the audit API is cut from (the store keeps 10,000 by default). */
const AUDIT_READ_CAP = 10_000;

/** Epoch ms or an ISO-8601 instant. */
const instant = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isSafeInteger(ms) || ms < 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text.slice(0, 40)}" is not a time (epoch ms or ISO-8601)`,
      });
      return z.NEVER;
    }
    return ms;
  });

const idParams = z.object({ id: tenantIdSchema });
/** The tenant page's default range reaches back at most this far. */
const PAGE_RANGE_MS = 7 * 86_400_000;
const pageQuery = z.strictObject({ from: instant.optional(), to: instant.optional() }).nullish();
const overviewQuery = z
  .strictObject({
    state: z
      .union([z.literal(''), z.enum(SOAK_STATES, { error: `must be one of ${SOAK_STATES.join(', ')}` })])
      .optional(),
    q: z.string().max(200).optional(),
  })
  .nullish();
const samplesQuery = z
  .strictObject({
    metric: z
      .string()
      .refine((m) => isKnownMetric(m) || /^cloudwatch:[\w.:-]{1,200}$/.test(m), 'is not a known metric'),
    scope: z
      .string()
      .regex(/^db\d{1,3}$/, 'must be db<N>')
      .optional(),
    from: instant.optional(),
    to: instant.optional(),
    points: z.coerce.number().int().min(2).max(MAX_POINTS).default(DEFAULT_POINTS),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    path: ['from'],
    message: 'must not be after to',
  });
const auditQuery = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: instant.optional(),
  })
  .nullish();
const muteBody = z.strictObject({
  criterion: z.string().min(1).max(200).optional(),
  until: z.union([z.number().int().min(0), instant]),
  reason: z.string().max(1000),
});
const unmuteBody = z.strictObject({ criterion: z.string().min(1).max(200).optional() }).nullish();

const reportQuery = z.strictObject({ format: z.enum(['html', 'json']).default('html') }).nullish();
const assetParams = z.object({ name: z.string().max(64) });
const loginForm = z.strictObject({
  token: z
    .string()
    .trim()
    .min(1, 'a token is required')
    .max(512)
    .regex(/^[A-Za-z0-9._~+/=-]+$/, 'has characters a cookie cannot carry'),
  next: z.string().max(512).optional(),
});

function page(body: string, statusCode = 200): Result {
  return { ...(html(body) as object), statusCode };
}

/**
 * The routes of the pages and of the data they (and scripts) read: the fleet overview, the tenant page,
 * samples and audit as JSON, the static assets, and the sign-in. Each parses its input with zod (a 400
 * naming the field) and answers through the release service's errors (404 unknown tenant).
 */
export function createPageRoutes(opts: {
  /**
   * The request's principal and the release service's dependencies limited to the tenants its token may
   * see; a 401/403 without the scope, a 404 for a tenant it may not see (the API handler's one check).
   */
  access: (event: Event, scope: Scope, tenant?: string) => Promise<{ principal: string; deps: StatusDeps }>;
  /** The connections to legacy Redis the tenant page's fence section reads through (none: the record only). */
  pool?: () => Promise<FenceDeps['pool'] | undefined>;
  now: () => number;
  verifyToken?: TokenVerifier | undefined;
}) {
  const { access, now } = opts;

  const overview = async (event: Event): Promise<Result> => {
    const q = parseOr400(overviewQuery, event.queryStringParameters, 'query');
    const at = now();
    const { deps: d } = await access(event, 'read');
    const statuses = await listStatuses(d, at);
    const mutes = new Map(
      await Promise.all(statuses.map(async (s) => [s.tenant, await activeMutes(d, s.tenant, at)] as const)),
    );
    return page(renderOverview(statuses, { state: q?.state || undefined, q: q?.q }, at, mutes));
  };

  const tenantPage = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps: d } = await access(event, 'read', id);
    const at = now();
    const q = parseOr400(pageQuery, event.queryStringParameters, 'query');
    const status = await getStatus(d, id, at, { auditLimit: 50 });
    const to = q?.to ?? at;
    // By default the whole migration as far as it is stored (at most a week): the replication phase's
    // lag and spot-checks, the cutover, the soak. `?from=&to=` zooms in.
    const [oldest] = await d.store.history<HistoryEntry>(id, Math.max(0, to - PAGE_RANGE_MS), to, 1);
    const from = q?.from ?? Math.min(oldest?.at ?? status.phaseStartedAt, to);
    if (from > to) throw createError(400, 'query.from: must not be after to', { expose: true });
    const [history, events] = await Promise.all([
      d.store.history<HistoryEntry>(id, from, to, HISTORY_READ_CAP),
      d.store.events<SoakEvent>(id, from, to),
    ]);
    const pool = await opts.pool?.();
    // With a connection to legacy: the fence, what is offered and the writes it refused (legacy is asked
    // only where a fence is in force or the state offers one); without, the stored record alone.
    const [mutes, live, record] = await Promise.all([
      activeMutes(d, id, at),
      pool ? import('../release/fence.js').then((f) => f.fenceStatus({ ...d, pool }, id, at)) : undefined,
      pool ? undefined : d.store.getDoc<FenceRecord>(id, FENCE_DOC),
    ]);
    const fence = live ? live.fenced : record;
    return page(
      renderTenantPage({
        status,
        history,
        events,
        audit: status.audit,
        mutes,
        ...(fence ? { fence } : {}),
        ...(live ? { fenceStatus: live } : {}),
        from,
        to,
        now: at,
      }),
    );
  };

  const samples = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps: d } = await access(event, 'read', id);
    const q = parseOr400(samplesQuery, event.queryStringParameters ?? {}, 'query');
    const at = now();
    const status = await getStatus(d, id, at, { auditLimit: 1 });
    const to = q.to ?? at;
    const from = q.from ?? Math.min(status.phaseStartedAt, to);
    if (from > to) throw createError(400, 'query.from: must not be after to', { expose: true });
    const history = await d.store.history<HistoryEntry>(id, from, to, HISTORY_READ_CAP);
    const key = metricKey(q.metric, q.scope);
    return json({
      tenant: id,
      key,
      from,
      to,
      stored: history.length,
      truncated: history.length >= HISTORY_READ_CAP,
      points: downsample(seriesOf(history, key), q.points, from, to),
    });
  };

  const audit = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps: d } = await access(event, 'read', id);
    const q = parseOr400(auditQuery, event.queryStringParameters, 'query');
    const limit = q?.limit ?? 50;
    await getStatus(d, id, now(), { auditLimit: 1 }); // 404 for an unknown tenant
    const all = await d.store.auditTrail(id, AUDIT_READ_CAP);
    const older = q?.before === undefined ? all : all.filter((e) => e.at < (q.before as number));
    const entries = older.slice(-limit).reverse();
    const oldest = entries[entries.length - 1];
    // Entries sharing a millisecond with the page's oldest one may be on the next page or this one only:
    // `before` is exclusive, so the next page starts strictly before it (rare: transitions of one tick).
    return json({
      tenant: id,
      entries,
      next: older.length > limit && oldest ? { before: oldest.at } : null,
    });
  };

  const report = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps: d } = await access(event, 'read', id);
    const q = parseOr400(reportQuery, event.queryStringParameters, 'query');
    const r = await evidenceReport(d, id, now());
    return q?.format === 'json' ? json(r) : page(renderReport(r, { standalone: false }));
  };

  const mute = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps: d, principal: actor } = await access(event, 'action', id);
    const body = parseOr400(muteBody, jsonBody(event), 'body');
    const mutes = await muteTenant(d, id, { ...body, actor }, now());
    return json({ tenant: id, mutes });
  };

  const unmute = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps: d, principal: actor } = await access(event, 'action', id);
    const body = parseOr400(unmuteBody, jsonBody(event), 'body');
    const mutes = await unmuteTenant(d, id, { ...(body ?? {}), actor }, now());
    return json({ tenant: id, mutes });
  };

  const asset = (event: Event): Promise<Result> => {
    const { name } = parseOr400(assetParams, event.pathParameters, 'path');
    const found = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!found) throw createError(404, `no asset "${name}"`, { expose: true });
    return Promise.resolve({
      statusCode: 200,
      headers: { 'Content-Type': found.contentType, 'Cache-Control': 'public, max-age=300' },
      body: found.body,
    });
  };

  const loginPage = (event: Event): Promise<Result> =>
    Promise.resolve(page(renderLogin({ next: event.queryStringParameters?.next })));

  const login = async (event: Event): Promise<Result> => {
    const raw = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    const form = loginForm.safeParse(Object.fromEntries(new URLSearchParams(raw)));
    if (!form.success)
      return page(
        renderLogin({
          error: `${form.error.issues[0]?.path.join('.') || 'form'}: ${form.error.issues[0]?.message}`,
        }),
        400,
      );
    const principal = opts.verifyToken ? await opts.verifyToken(form.data.token) : undefined;
    if (!principal)
      return page(
        renderLogin({ next: form.data.next, error: 'this token is not accepted: nothing was stored' }),
        401,
      );
    return {
      statusCode: 303,
      headers: { Location: safeNext(form.data.next), 'Cache-Control': 'no-store' },
      // A session cookie (no Expires/Max-Age): it dies with the browser session; HttpOnly keeps it from scripts.
      cookies: [`${SESSION_COOKIE}=${form.data.token}; HttpOnly; Secure; SameSite=Strict; Path=/`],
      body: '',
    };
  };

  return [
    { method: 'GET', path: '/status', handler: overview },
    { method: 'GET', path: '/tenants/{id}', handler: tenantPage },
    { method: 'GET', path: '/tenants/{id}/samples', handler: samples },
    { method: 'GET', path: '/tenants/{id}/audit', handler: audit },
    { method: 'GET', path: '/tenants/{id}/report', handler: report },
    { method: 'POST', path: '/tenants/{id}/mute', handler: mute },
    { method: 'POST', path: '/tenants/{id}/unmute', handler: unmute },
    { method: 'GET', path: '/assets/{name}', handler: asset },
    { method: 'GET', path: '/login', handler: loginPage },
    { method: 'POST', path: '/login', handler: login },
  ] as const;
}
