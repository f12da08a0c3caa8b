import { createApiHandler } from '../src/api/handler.js';
import { logger, metrics } from '../src/observability/index.js';
import { authorizeRuntime, grantOfToken } from '../src/runtime/authorize.js';
import { readEnv } from '../src/runtime/env.js';
import { lazily } from '../src/runtime/lazy.js';

const env = readEnv();
// POST /login checks a token against the authorizer's own tables: the environment's hashes and the
// Secrets Manager secret (src/runtime/authorize.ts tokenTables, one source for both).
const tokens = authorizeRuntime(env);

/** Release-manager API: tenants, per-tenant status, the pages, audited actions and the fence of legacy. */
export const handler = createApiHandler({
  // The state store, SNS and the legacy connections of the fence, built at the first request and kept
  // while the container is warm. An action's hooks are left to the tick (the api's role holds no hook
  // permissions; the outbox keeps them owed). (Imported then too, each a chunk of its own: module init
  // compiles neither the store's client nor the configuration's parser.)
  runtime: lazily(async () => {
    const [{ openApiRuntime }, { loadConfigFromEnv }] = await Promise.all([
      import('../src/runtime/api.js'),
      import('../src/runtime/config.js'),
    ]);
    return openApiRuntime(loadConfigFromEnv(env), { log: logger });
  }),
  logger,
  metrics,
  verifyToken: async (token) => (await grantOfToken(tokens, token))?.principal,
});
