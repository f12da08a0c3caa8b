import type { MismatchSummary } from '../metrics/index.js';
import type { Milestone } from '../soak/index.js';

export type Severity = 'warn' | 'critical' | 'fatal';

/** A criterion that fires this tick (its tolerated consecutive breaches are used up). */
export interface FiringCriterion {
  id: string;
  metric: string;
  severity: Severity;
  /** Current value; null when the sample could not see it. */
  value: number | null;
  threshold: number;
  op: string;
  /** When the breach began (epoch ms); null when unknown. */
  since: number | null;
  runbook?: string;
  /** Why the criterion has no data, in words (the judge's `cause`). */
  cause?: string;
  /** What the value is made of, in words: the nodes that could not be read, the counts compared… */
  detail?: string;
  /** A spot-check criterion: its window's confirmed mismatches by db, key pattern, type, TTL class, kind. */
  mismatches?: MismatchSummary;
}

/** A state change of the tenant's soak, as the judge recorded it (`kind`: see the judge's TRANSITIONS). */
export interface AlertTransition {
  at: number;
  from: string;
  to: string;
  kind: string;
  reason: string;
  actor?: string;
}

/**
 * What the alert planner needs from one tick of the judge. Structural on purpose: the judge's verdict maps
 * onto it (src/tick/map.ts); of src/soak the planner reads only the vocabulary (what a transition kind means).
 */
export interface AlertInput {
  tenant: string;
  now: number;
  state: string;
  firing: FiringCriterion[];
  /** Transitions made by this tick (older ones are ignored through the memory). */
  transitions: AlertTransition[];
  /** Share of the soak window covered by samples, 0..1; null when unknown. */
  coverage: number | null;
  remainingMs: number | null;
  /** Why the verdict is inconclusive, in words; absent or empty when it is conclusive. */
  inconclusiveReasons?: string[];
  links?: { status?: string };
  /**
   * Mutes in force (the tenant's when `criterion` is absent): their criteria are held back from on-call
   * messages until `until` — never a fatal criterion, never while the tenant is FAILED.
   */
  mutes?: { criterion?: string; until: number }[];
}

/** Release milestones announced on the release topic (defined with the judge's transitions). */
export type { Milestone };

export type AlertKind = 'alert' | 'repeat' | 'resolved';

export interface OutgoingMessage {
  /** `chat`: the AWS Chatbot rendering of an alert, for the chat topic. */
  topic: 'alert' | 'release' | 'chat';
  topicArn: string;
  /** ≤ 100 printable ASCII characters (the SNS limit for email subjects). */
  subject: string;
  /** Plain text for a human. */
  body: string;
  /** Sent as SNS MessageAttributes (String), so subscriptions can filter on them. */
  attributes: {
    tenant: string;
    /** warn | critical | fatal for alerts (a resolution carries the worst severity it resolves); info for milestones. */
    severity: string;
    state: string;
    kind: AlertKind | Milestone;
  };
  /** Same tick, same message → same key (FIFO deduplication, logs). */
  dedupeKey: string;
  /**
   * When set, the SNS `MessageStructure: json` message to publish instead of `body`: the text per
   * protocol for people, the versioned JSON payload for programs (src/alerts/structure.ts).
   */
  structured?: string;
}

/** What the planner remembers between ticks, per tenant. Small JSON, persisted by the caller. */
export interface AlertMemory {
  v: 1;
  /** What fired at the last tick: criterion id → severity. Empty when nothing is open. */
  firing: Record<string, Severity>;
  /** When the open incident began (first alert), null when nothing is open. */
  openedAt: number | null;
  /** The worst severity of the open incident, so its resolution can carry it. */
  worst: Severity | null;
  lastSentAt: number | null;
  /** Criterion ids listed in the last alert message (to say what cleared since). */
  lastSentIds: string[];
  /** Newest milestone time announced, and the keys announced at exactly that time. */
  lastMilestoneAt: number | null;
  milestoneKeys: string[];
}

export interface AlertPlanOptions {
  repeatEveryMs: number;
  alertTopicArn?: string;
  releaseTopicArn?: string;
  /** A topic AWS Chatbot subscribes to: every on-call message again, in Chatbot's custom format. */
  chatTopicArn?: string;
  /** The pages' base URL (`https://soak.example.com`): every message links the tenant page. */
  statusPageUrl?: string;
}

export interface AlertPlan {
  messages: OutgoingMessage[];
  memory: AlertMemory;
}
