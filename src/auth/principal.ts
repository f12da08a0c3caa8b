import * as z from 'zod';
import { AuthError } from './errors.js';
import type { Grant, Scope } from './tokens.js';

const lambdaContext = z.object({
  principal: z.string().min(1).max(128),
  scopes: z.enum(['read', 'read,action']).optional(),
  tenants: z
    .string()
    .regex(/^(\*|[A-Za-z0-9_.-]{1,128}(,[A-Za-z0-9_.-]{1,128})*)$/)
    .optional(),
});
const eventSchema = z.object({
  requestContext: z.object({
    authorizer: z
      .object({
        // functions/authorize.ts (Lambda REQUEST authorizer, simple responses) → authorizer.lambda
        lambda: z.unknown().optional(),
        // `authorizer: { type: aws_iam }` on a route → authorizer.iam.userArn
        iam: z.object({ userArn: z.string().min(1) }).optional(),
      })
      .optional(),
  }),
});

/**
 * The authenticated principal of an API request, from what the authorizer put in the request context:
 * `{ principal, scopes: 'read' | 'read,action', tenants: '*' | 'a,b' }`. An AuthError (401) when there is
 * none: API Gateway already refused what the authorizer denied; this also refuses a route deployed without
 * an authorizer (or `serverless offline --noAuth`). A context without scopes (an authorizer from before
 * scopes) is read-only.
 */
export function principalOf(event: unknown): Grant {
  const parsed = eventSchema.safeParse(event);
  const authorizer = parsed.success ? parsed.data.requestContext.authorizer : undefined;
  const ctx = lambdaContext.safeParse(authorizer?.lambda);
  if (ctx.success) {
    const scopes: Scope[] = ctx.data.scopes === 'read,action' ? ['read', 'action'] : ['read'];
    const tenants =
      ctx.data.tenants === undefined || ctx.data.tenants === '*' ? '*' : ctx.data.tenants.split(',');
    return { principal: ctx.data.principal, scopes, tenants };
  }
  // IAM-authorised callers are the stack's own roles: full access, as before scopes.
  if (authorizer?.iam) return { principal: authorizer.iam.userArn, scopes: ['read', 'action'], tenants: '*' };
  throw new AuthError(401, 'an authenticated principal is required');
}
