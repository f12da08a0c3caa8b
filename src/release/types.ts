import type { TickDeps } from '../tick/types.js';

/**
 * What the release operations need: the configuration and the state store, and — for actions, which
 * announce their transition the way a tick does — the publisher, the hook lifecycle and a log. A tick's
 * dependencies satisfy it.
 */
export type ReleaseDeps = Pick<TickDeps, 'config' | 'store' | 'publish' | 'runHooks' | 'log'>;

/** What reading a tenant's status needs. */
export type StatusDeps = Pick<ReleaseDeps, 'config' | 'store'>;
