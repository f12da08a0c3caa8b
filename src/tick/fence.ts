/** The state-store document of a tenant holding its fence of legacy (written by src/release's fence). */
export const FENCE_DOC = 'fence';

/** A fence of legacy: who lost their writes, with their rules before, so unfence restores them exactly. */
export interface FenceRecord {
  at: number;
  actor: string;
  reason: string;
  /** The legacy node the ACLs were changed on (the primary when fenced). */
  node: string;
  users: { name: string; rules: string }[];
}
