import { createApiHandler } from '../src/api/handler.js';
import { principalForToken } from '../src/auth/index.js';
import { logger, metrics } from '../src/observability/index.js';
import { authorizeRuntime } from '../src/runtime/authorize.js';
import { readEnv } from '../src/runtime/env.js';
import { lazily } from '../src/runtime/lazy.js';

const env = readEnv();
// POST /login checks a token the way the authorizer does (the environment's hashes; see the report of
// issue 10: tokens kept only in the Secrets Manager secret are not yet accepted for sign-in).
const { fromEnv } = authorizeRuntime(env);

/** Release-manager API: tenants, per-tenant status, the pages, and audited actions. */
export const handler = createApiHandler({
  // The state store and SNS, built at the first request and kept while the container is warm. An action's
  // hooks are left to the tick (the api's role holds no hook permissions; the outbox keeps them owed).
  // (Imported then too, each a chunk of its own: module init compiles neither the store's client nor the
  // configuration's parser.)
  runtime: lazily(async () => {
    const [{ openReleaseRuntime }, { loadConfigFromEnv }] = await Promise.all([
      import('../src/runtime/release.js'),
      import('../src/runtime/config.js'),
    ]);
    return openReleaseRuntime(loadConfigFromEnv(env), { log: logger, deferHooks: true });
  }),
  logger,
  metrics,
  verifyToken: (token) => principalForToken(token, fromEnv),
});
