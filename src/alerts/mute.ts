/** The state-store document of a tenant holding its mutes (src/release writes it, the tick reads it). */
export const MUTES_DOC = 'mutes';

/** On-call alerts of a tenant (or of one criterion) held back until `until`; never a FAILED or a fatal. */
export interface Mute {
  /** Absent: the whole tenant. */
  criterion?: string;
  until: number;
  reason: string;
  actor: string;
  at: number;
}
