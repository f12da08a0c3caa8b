import { describe, expect, it } from 'vitest';
import { actionsFromAudit } from '../../../src/cli/commands.js';
import { policySchema } from '../../../src/config/index.js';
import { applyAction, initialSoakState, JUDGE_ACTOR } from '../../../src/soak/index.js';
import type { AuditEntry } from '../../../src/store/index.js';
import { auditOf } from '../../../src/tick/map.js';

const T0 = Date.UTC(2026, 0, 1);

describe('actionsFromAudit', () => {
  it('turns the release managers’ audited transitions back into the judge’s actions', () => {
    const audit: AuditEntry[] = [
      { at: T0, actor: 'rm', action: 'cutover', from: 'CUTOVER_READY', to: 'SOAKING', reason: 'window 42' },
      { at: T0 + 1, actor: 'rm', action: 'approved', from: 'PASSED', to: 'SCALE_DOWN_APPROVED' },
      { at: T0 + 2, actor: 'ops', action: 'scaled-down', from: 'SCALE_DOWN_APPROVED', to: 'SCALED_DOWN' },
      { at: T0 + 3, actor: 'rm', action: 'aborted', from: 'SOAKING', to: 'ABORTED', reason: 'rollback' },
      { at: T0 + 4, actor: 'rm', action: 'restarted', from: 'ABORTED', to: 'REPLICATING' },
    ];

    expect(actionsFromAudit(audit)).toEqual([
      { at: T0, action: { type: 'cutover', actor: 'rm', reason: 'window 42' } },
      { at: T0 + 1, action: { type: 'approve', actor: 'rm' } },
      { at: T0 + 2, action: { type: 'scaled-down', actor: 'ops' } },
      { at: T0 + 3, action: { type: 'abort', actor: 'rm', reason: 'rollback' } },
      { at: T0 + 4, action: { type: 'restart', actor: 'rm' } },
    ]);
  });

  it('leaves out the judge’s own transitions and entries that are no action (hooks, resets)', () => {
    const audit: AuditEntry[] = [
      { at: T0, actor: JUDGE_ACTOR, action: 'cutover', from: 'CUTOVER_READY', to: 'SOAKING', reason: 'auto' },
      { at: T0 + 1, actor: JUDGE_ACTOR, action: 'reset', from: 'SOAKING', to: 'SOAKING' },
      { at: T0 + 2, actor: 'hooks', action: 'hook:scale-down', detail: { status: 'ok' } },
    ];

    expect(actionsFromAudit(audit)).toEqual([]);
  });

  it('replays a forced cutover as forced, with the reason the release manager gave (not doubled)', () => {
    const policy = policySchema.parse({});
    const live = applyAction(
      initialSoakState('acme', policy, T0),
      { type: 'cutover', actor: 'rm', reason: 'hotfix 7', force: true },
      policy,
      T0 + 1,
    );
    if (!live.ok) throw new Error(live.reason);

    const [replayed] = actionsFromAudit(auditOf([live.transition]));

    expect(replayed).toEqual({
      at: T0 + 1,
      action: { type: 'cutover', actor: 'rm', reason: 'hotfix 7', force: true },
    });
    const again = applyAction(
      initialSoakState('acme', policy, T0),
      replayed?.action ?? { type: 'abort', actor: 'x' },
      policy,
      T0 + 1,
    );
    expect(again.ok && again.transition.reason).toBe(live.transition.reason);
  });

  it('audits a forced cutover with forced and the reason as given, the reason for people worded as before', () => {
    const policy = policySchema.parse({});
    const live = applyAction(
      initialSoakState('acme', policy, T0),
      { type: 'cutover', actor: 'rm', reason: 'hotfix 7', force: true },
      policy,
      T0 + 1,
    );
    if (!live.ok) throw new Error(live.reason);

    expect(auditOf([live.transition])).toEqual([
      {
        at: T0 + 1,
        actor: 'rm',
        action: 'cutover',
        from: 'REPLICATING',
        to: 'SOAKING',
        reason: 'hotfix 7 (forced before readiness)',
        forced: true,
        actorReason: 'hotfix 7',
      },
    ]);
  });

  it('still replays a forced cutover audited before issue 8 (no forced field) as forced, with the reason given', () => {
    const stored: AuditEntry = {
      at: T0,
      actor: 'rm',
      action: 'cutover',
      from: 'REPLICATING',
      to: 'SOAKING',
      reason: 'hotfix 7 (forced before readiness)',
    };

    expect(actionsFromAudit([stored])).toEqual([
      { at: T0, action: { type: 'cutover', actor: 'rm', reason: 'hotfix 7', force: true } },
    ]);
  });
});
