export type { Clients } from './deps.js';
export { closeClients, openClients, tickDeps } from './deps.js';
export type { Env } from './env.js';
export { readEnv } from './env.js';
export type { Runtime } from './runtime.js';
export { configFromEnv, getRuntime, ingestEvents, runTick } from './runtime.js';
