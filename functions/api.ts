import { createApiHandler } from '../src/api/handler.js';
import { principalForToken } from '../src/auth/index.js';
import { logger, metrics } from '../src/observability/index.js';
import { authorizeRuntime } from '../src/runtime/authorize.js';
import { loadConfigFromEnv } from '../src/runtime/config.js';
import { readEnv } from '../src/runtime/env.js';
import { lazily } from '../src/runtime/lazy.js';
import { openReleaseRuntime } from '../src/runtime/release.js';

const env = readEnv();
// POST /login checks a token the way the authorizer does (the environment's hashes; see the report of
// issue 10: tokens kept only in the Secrets Manager secret are not yet accepted for sign-in).
const { fromEnv } = authorizeRuntime(env);

/** Release-manager API: tenants, per-tenant status, the pages, and audited actions. */
export const handler = createApiHandler({
  // The state store and SNS, built at the first request and kept while the container is warm. An action's
  // hooks are left to the tick (the api's role holds no hook permissions; the outbox keeps them owed).
  runtime: lazily(() => openReleaseRuntime(loadConfigFromEnv(env), { log: logger, deferHooks: true })),
  logger,
  metrics,
  verifyToken: (token) => principalForToken(token, fromEnv),
});
