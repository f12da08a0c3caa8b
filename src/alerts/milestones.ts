import { transitionMeaning } from '../soak/index.js';
import type { AlertTransition, Milestone } from './types.js';

/** The release milestone a transition is, by its kind (the judge's TRANSITIONS table); none for other kinds. */
export function milestoneOf(t: AlertTransition): Milestone | undefined {
  return transitionMeaning(t.kind)?.milestone;
}

const TITLE: Record<Milestone, string> = {
  'ready-for-cutover': 'ready for cutover',
  'readiness-revoked': 'cutover readiness revoked',
  cutover: 'cutover, soak started',
  'soak-reset': 'soak clock reset',
  passed: 'soak PASSED',
  failed: 'soak FAILED',
  approved: 'scale-down approved',
  'scaled-down': 'legacy scaled down',
  aborted: 'migration watch aborted',
  restarted: 'watch restarted',
};

export function milestoneTitle(m: Milestone): string {
  return TITLE[m];
}

export function milestoneSeverity(m: Milestone): 'info' | 'warn' | 'critical' {
  if (m === 'failed') return 'critical';
  if (m === 'soak-reset' || m === 'readiness-revoked' || m === 'aborted') return 'warn';
  return 'info';
}

/** What the release manager does next, with the CLI command where there is one. */
export function nextStep(m: Milestone, tenant: string): string {
  const cli = (verb: string) => `soakwatch ${verb} --tenant ${tenant} --actor NAME --reason "..."`;
  switch (m) {
    case 'ready-for-cutover':
      return `Cut the applications over to the target in your release window, then record it: ${cli('cutover')}`;
    case 'readiness-revoked':
      return 'Do not cut over. Readiness returns once the replication criteria hold again for the whole readyAfter period.';
    case 'cutover':
      return 'The soak has started; keep the legacy cluster running as the fallback. Nothing to do unless on-call is alerted.';
    case 'soak-reset':
      return 'The soak restarts from zero. Check the reason above; do not scale down the legacy cluster.';
    case 'passed':
      return `Review the evidence, then approve the scale-down of the legacy cluster: ${cli('approve')}`;
    case 'failed':
      return `Rollback advised: keep (or move) the applications on the legacy cluster and fix the cause, then: ${cli('restart')}`;
    case 'approved':
      return `The scale-down hook fires once. When the legacy cluster is scaled down, record it: ${cli('scaled-down')}`;
    case 'scaled-down':
      return 'The migration of this tenant is complete.';
    case 'aborted':
      return `soakwatch no longer judges this tenant. To start over: ${cli('restart')}`;
    case 'restarted':
      return 'Replication is watched again from the start; readiness needs the full readyAfter period.';
  }
}
