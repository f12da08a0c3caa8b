// Wiring: one runtime per handler, each building only the clients it uses. Handlers import the file of
// their own runtime (so a bundle holds only what it uses); this barrel is for tests and tools.

export { openAlarmEventsRuntime } from './alarmEvents.js';
export type { ApiRuntimeParts } from './api.js';
export { openApiRuntime } from './api.js';
export type { AuthorizeRuntime } from './authorize.js';
export { authorizeRuntime } from './authorize.js';
export { openCompareRuntime } from './compare.js';
export { loadConfigFromEnv } from './config.js';
export type { OpenEventsRuntime } from './elasticacheEvents.js';
export { openElastiCacheEventsRuntime } from './elasticacheEvents.js';
export type { Env } from './env.js';
export { readEnv } from './env.js';
export type { EventsInput, EventsRuntime } from './events.js';
export { ingestEvents } from './events.js';
export type { HookClientsOnDemand } from './hookClients.js';
export { hookClientsOnDemand } from './hookClients.js';
export { lazily } from './lazy.js';
export type { ReleaseRuntime } from './release.js';
export { openReleaseRuntime } from './release.js';
export { openStatusRuntime } from './status.js';
export type { MetricsSink, TickClients, TickRuntime, TickRuntimeOptions } from './tick.js';
export { openTickRuntime, runTick, tickDeps } from './tick.js';
export type { WarmCache } from './warm.js';
export { createWarmCache } from './warm.js';
