import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Action } from '../soak/types.js';
import { exitCodeOf, oneLine } from './errors.js';

// Each command's module is imported when the command runs (`await import()` in its action), so
// `soakwatch --help` loads commander and nothing else, and `status` loads no sampler and no AWS SDK.

// The AWS SDK warns about Node 20 on every client; the CLI's output is for people.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const print = (text: string) => process.stdout.write(`${text}\n`);

// One command per release-manager action. `satisfies` ties the keys to the judge's own action type
// (a type import: the judge is not loaded for --help), so an action added there is a compile error here.
const ACTION_COMMANDS = {
  cutover: 'mark the cutover (from CUTOVER_READY; with --force and a reason from REPLICATING)',
  abort: 'abort the migration of a tenant',
  approve: 'approve the scale-down of the legacy cluster (from PASSED)',
  'scaled-down': 'record that the legacy cluster was scaled down (from SCALE_DOWN_APPROVED)',
  restart: 'start over from REPLICATING (from FAILED or ABORTED)',
} satisfies Record<Action['type'], string>;

function positiveNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number above 0');
  return n;
}

function run(action: () => Promise<number>): () => Promise<void> {
  return async () => {
    try {
      process.exitCode = await action();
    } catch (error) {
      process.stderr.write(`soakwatch: ${oneLine(error)}\n`);
      process.exitCode = exitCodeOf(error);
    }
  };
}

export function program(): Command {
  const cli = new Command('soakwatch')
    .description('Watch a Redis → ElastiCache migration tenant by tenant and decide when the soak passes')
    .option(
      '-c, --config <file>',
      'configuration file (default: $SOAKWATCH_CONFIG or ./soakwatch.config.yml)',
    )
    .option('-v, --verbose', 'log to stderr')
    .option('--aws', 'also read CloudWatch metrics and ElastiCache events (needs AWS credentials)')
    .exitOverride()
    .showHelpAfterError();
  const globals = () => cli.opts<{ config?: string; verbose?: boolean; aws?: boolean }>();

  cli
    .command('check')
    .description('compare two clusters once: key counts per db/prefix, memory, roles')
    .requiredOption('--legacy <url>', 'legacy Redis URL (redis:// or rediss://)')
    .requiredOption('--target <url>', 'target Redis URL (the configuration endpoint in cluster mode)')
    .option('--cluster', 'the target is cluster mode enabled')
    .option('--db-map <map>', 'legacy db → target prefix, e.g. 0=,1=svc1:', '0=')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./check.js')).checkCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  cli
    .command('tick')
    .description('sample, store, judge and alert once (the Lambda code path)')
    .option('--tenant <id>', 'only this tenant')
    .option('--now <time>', 'judge as of this time (epoch ms or ISO-8601), for replay and tests')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./tick.js')).tickCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  cli
    .command('status')
    .description('the soak status of every tenant, or one')
    .option('--tenant <id>', 'only this tenant')
    .option('--now <time>', 'evaluate as of this time (epoch ms or ISO-8601), e.g. after ticks with --now')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./status.js')).statusCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  cli
    .command('report')
    .description('the evidence pack of a tenant for the change ticket (self-contained HTML, or JSON)')
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--json', 'print JSON instead of HTML')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./report.js')).reportCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  cli
    .command('mute')
    .description(
      "hold back a tenant's on-call alerts (or one criterion's) until a time; audited, never a FAILED",
    )
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--criterion <id>', 'only this criterion (default: the whole tenant)')
    .requiredOption('--until <time>', 'epoch ms or ISO-8601, at most 7 days ahead')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .requiredOption('--actor <name>', 'who (recorded in the audit trail)')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./mute.js')).muteCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  cli
    .command('unmute')
    .description('lift a mute (the whole tenant, or one criterion)')
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--criterion <id>', 'only this criterion')
    .requiredOption('--actor <name>', 'who (recorded in the audit trail)')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./mute.js')).unmuteCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  cli
    .command('restart-store')
    .description(
      'after the state store was lost (flushed, replaced): start every soak over, audited; refused otherwise',
    )
    .requiredOption('--actor <name>', "who (recorded in every tenant's audit trail)")
    .requiredOption('--reason <text>', 'why (recorded)')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./storeRestart.js')).storeRestartCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  cli
    .command('fence')
    .description("after cutover: take legacy's application users' writes away (ACL), --undo restores them")
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--actor <name>', 'who (recorded in the audit trail)')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--undo', "restore the fenced users' rules exactly")
    .option('--status', 'show the fence and the writes it refused (ACL LOG)')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./fence.js')).fenceCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  for (const [name, description] of Object.entries(ACTION_COMMANDS)) {
    cli
      .command(name)
      .description(description)
      .requiredOption('--tenant <id>', 'tenant id')
      .requiredOption('--actor <name>', 'who does it (recorded in the audit trail)')
      .option('--reason <text>', 'why (recorded; required with --force)')
      .option('--force', 'cutover before readiness')
      .option('--now <time>', 'as of this time (epoch ms or ISO-8601)')
      .option('--json', 'print JSON')
      .action(function (this: Command) {
        return run(async () =>
          (await import('./action.js')).actionCommand(name, { ...globals(), ...this.opts() }, print),
        )();
      });
  }

  cli
    .command('replay')
    .description(
      'run the judge over stored samples and events with another policy; print the verdict timeline',
    )
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--policy <file>', 'a policy (the `soak:` block of a tenant) as YAML or JSON')
    .option('--from <time>', 'start (epoch ms or ISO-8601)')
    .option('--to <time>', 'end (epoch ms or ISO-8601)')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./commands.js')).replayCommand({ ...globals(), ...this.opts() }, print),
      )();
    });

  cli
    .command('compare')
    .description('consistency compare of a tenant: a spot-check, or --full SCAN of a legacy replica')
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--full', 'compare every key (rate-limited, resumable)')
    .addOption(new Option('--keys-per-second <n>', 'rate limit of --full').argParser(positiveNumber))
    .option('--restart', 'with --full: ignore a saved cursor and start over')
    .option('--actor <name>', 'with --full: who runs it (audit trail; default the OS user)')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      return run(async () =>
        (await import('./compare.js')).compareCommand({ ...globals(), ...this.opts() }, print),
      )();
    });
  return cli;
}

try {
  await program().parseAsync(process.argv);
} catch (error) {
  // Commander has printed usage errors already; --help and --version end here too.
  if (!(error instanceof CommanderError)) process.stderr.write(`soakwatch: ${oneLine(error)}\n`);
  process.exitCode = exitCodeOf(error);
}
// The command is over and its output written. Anything still holding the event loop now is a leaked
// handle (e.g. a client reconnecting after a failed connect): a command line must still end. The timer is
// unref'd, so a clean run exits at once without waiting for it. 5 s: longer than ioredis's own 2 s
// disconnectTimeout, which a connection refused at connect leaves running.
setTimeout(() => {
  if (process.argv.some((a) => a === '-v' || a === '--verbose'))
    process.stderr.write('soakwatch: open handles after the command; exiting\n');
  process.exit();
}, 5_000).unref();
