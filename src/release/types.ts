import type { TickDeps } from '../tick/types.js';

/**
 * What the release operations need: the configuration and the state store, and — for actions, which
 * announce their transition the way a tick does — the publisher, the hook lifecycle and a log. A tick's
 * dependencies satisfy it.
 */
export type ReleaseDeps = Pick<TickDeps, 'config' | 'store' | 'publish' | 'runHooks' | 'log'> & {
  /**
   * Leave an action's hooks to the next tick (they stay owed in the outbox): the API's role may publish
   * milestones but holds no hook permissions (scaling, invoking, other topics, webhook secrets).
   */
  deferHooks?: boolean;
};

/** What reading a tenant's status needs. */
export type StatusDeps = Pick<ReleaseDeps, 'config' | 'store'>;
