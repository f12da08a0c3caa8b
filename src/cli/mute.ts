import { muteTenant, unmuteTenant } from '../release/index.js';
import { openStatusRuntime } from '../runtime/status.js';
import { configOf, type GlobalOptions, withRuntime } from './context.js';
import { parseInstant } from './parse.js';

type Print = (text: string) => void;

function describe(mutes: { criterion?: string; until: number; reason: string }[]): string {
  return mutes.length === 0
    ? 'nothing muted'
    : mutes
        .map(
          (m) =>
            `${m.criterion ?? 'the whole tenant'} muted until ${new Date(m.until).toISOString()}: ${m.reason}`,
        )
        .join('\n');
}

/** `soakwatch mute --tenant ID [--criterion C] --until T --reason R --actor A`: audited; never hides FAILED. */
export async function muteCommand(
  opts: GlobalOptions & { tenant: string; criterion?: string; until: string; reason: string; actor: string },
  print: Print,
): Promise<number> {
  const now = Date.now();
  const until = parseInstant(opts.until, '--until');
  const mutes = await withRuntime(configOf(opts), openStatusRuntime, ({ deps }) =>
    muteTenant(
      deps,
      opts.tenant,
      {
        ...(opts.criterion ? { criterion: opts.criterion } : {}),
        until,
        reason: opts.reason,
        actor: opts.actor,
      },
      now,
    ),
  );
  print(`${opts.tenant}: ${describe(mutes)}`);
  return 0;
}

/** `soakwatch unmute --tenant ID [--criterion C] --actor A`. */
export async function unmuteCommand(
  opts: GlobalOptions & { tenant: string; criterion?: string; actor: string },
  print: Print,
): Promise<number> {
  const mutes = await withRuntime(configOf(opts), openStatusRuntime, ({ deps }) =>
    unmuteTenant(
      deps,
      opts.tenant,
      { ...(opts.criterion ? { criterion: opts.criterion } : {}), actor: opts.actor },
      Date.now(),
    ),
  );
  print(`${opts.tenant}: ${describe(mutes)}`);
  return 0;
}
