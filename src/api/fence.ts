import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod';
import type { Scope } from '../auth/index.js';
import { tenantIdSchema } from '../config/schema.js';
import { reasonSchema } from '../release/actions.js';
import { ActionRefusedError } from '../release/errors.js';
import type { FenceDeps } from '../release/fence.js';
import type { StatusDeps } from '../release/types.js';
import { findTenant } from '../tick/tenants.js';
import { json, jsonBody, parseOr400 } from './http.js';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyResultV2;

const idParams = z.object({ id: tenantIdSchema });
// The fence's operations (and the ACL LOG parser) are a chunk loaded at the first fence request: the api's
// module init does not compile them (bench/cold-start.bench.ts).
const fenceOps = () => import('../release/fence.js');
// The reason goes into the audit trail: a fence without one is refused (400 naming the field).
const fenceBody = z.strictObject({ reason: reasonSchema });
const unfenceBody = z.strictObject({ reason: reasonSchema.optional() }).nullish();

/**
 * The fence of legacy over HTTP: `GET /tenants/{id}/fence` (read: the fence in force, what is offered now
 * and why not, the writes it refused), `POST …/fence` and `POST …/unfence` (action; the actor is the
 * authenticated principal). The release service decides (409 naming why: the state, an existing fence,
 * soakwatch's ACL rights on legacy); this only parses and answers.
 */
export function createFenceRoutes(opts: {
  /** The principal, and the release service's dependencies limited to what its token may see. */
  access: (event: Event, scope: Scope, tenant?: string) => Promise<{ principal: string; deps: StatusDeps }>;
  /** The connections to the tenants' legacy Redis; undefined where this API has none. */
  pool: () => Promise<FenceDeps['pool'] | undefined>;
  now: () => number;
}) {
  const fenceDeps = async (deps: StatusDeps, id: string, action: string): Promise<FenceDeps> => {
    findTenant(deps.config.tenants, id); // 404 before anything else about an unknown tenant
    const pool = await opts.pool();
    if (!pool) throw new ActionRefusedError(id, action, 'this API has no connection to legacy Redis');
    return { ...deps, pool };
  };

  const status = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps } = await opts.access(event, 'read', id);
    return json(await (await fenceOps()).fenceStatus(await fenceDeps(deps, id, 'fence'), id, opts.now()));
  };

  const fence = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps, principal } = await opts.access(event, 'action', id);
    const d = await fenceDeps(deps, id, 'fence');
    const body = parseOr400(fenceBody, jsonBody(event) ?? {}, 'body');
    const record = await (await fenceOps()).fenceLegacy(
      d,
      id,
      { actor: principal, reason: body.reason },
      opts.now(),
    );
    return json({ tenant: id, fenced: true, node: record.node, users: record.users.map((u) => u.name) });
  };

  const unfence = async (event: Event): Promise<Result> => {
    const { id } = parseOr400(idParams, event.pathParameters, 'path');
    const { deps, principal } = await opts.access(event, 'action', id);
    const d = await fenceDeps(deps, id, 'unfence');
    const body = parseOr400(unfenceBody, jsonBody(event), 'body');
    const record = await (await fenceOps()).unfenceLegacy(
      d,
      id,
      { actor: principal, ...(body?.reason ? { reason: body.reason } : {}) },
      opts.now(),
    );
    return json({ tenant: id, fenced: false, node: record.node, users: record.users.map((u) => u.name) });
  };

  return [
    { method: 'GET', path: '/tenants/{id}/fence', handler: status },
    { method: 'POST', path: '/tenants/{id}/fence', handler: fence },
    { method: 'POST', path: '/tenants/{id}/unfence', handler: unfence },
  ] as const;
}
