import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { stringify } from 'yaml';
import type { OutgoingMessage } from '../../src/alerts/index.js';
import { stderrLog } from '../../src/cli/log.js';
import { loadConfig } from '../../src/config/index.js';
import { performAction } from '../../src/release/index.js';
import { openTickRuntime } from '../../src/runtime/index.js';
import type { SoakStateName } from '../../src/soak/index.js';
import { runTick, type TickDeps } from '../../src/tick/index.js';
import { formatDuration } from '../../src/util/duration.js';
import { startCluster, startReplicated, startStandalone, stopAll } from '../local/index.js';
import { startCopier } from './copier.js';
import { seed } from './seed.js';
import { serveStatusPages } from './serve.js';

// The demo: a Sentinel-fronted legacy (primary + replica, 3 dbs) and a 3-shard target cluster, both real
// redis-server processes on loopback; a small CDC copier plays the replication tool; the soak policy is
// compressed to seconds so the whole migration of one tenant runs in under a minute.
// It uses soakwatch as its users do: the tick and the release actions through their modules' public
// barrels (what the Lambdas and the CLI call), and `soakwatch check` / `soakwatch status` as commands of the
// built CLI (dist/cli.js, beside this bundle) — never the CLI's internals.

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const say = (text = '') => process.stdout.write(`${text}\n`);
const step = (text: string) => say(`\n── ${text} ${'─'.repeat(Math.max(0, 70 - text.length))}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DB_MAP = { '0': '', '1': 'orders:', '2': 'impact:' };
const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

/**
 * Runs `soakwatch <args>` as a release manager would, and returns what it printed. Exit 1 is an answer
 * (`check`: the clusters differ), 2 an error. The demo's config is passed with --config and no SOAKWATCH_*
 * variable of the caller's shell reaches the command, so it reads the state store the ticks write.
 */
function soakwatch(args: string[]): Promise<{ exitCode: number; stdout: string }> {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run the demo with \`npm run demo\` (it builds dist/)`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SOAKWATCH_')));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      if (exitCode === 0 || exitCode === 1) resolve({ exitCode, stdout });
      else reject(new Error(`soakwatch ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim()}`));
    });
  });
}

function policy() {
  // Windows of 5 samples: a sample slowed by the spot-check's re-checks still leaves enough coverage.
  const w = { aggregate: 'max', window: '5s' };
  return {
    sampleInterval: '1s',
    minCoverage: 0.8,
    maxResets: 3,
    replication: {
      readyAfter: '6s',
      criteria: [
        // Live writes are in flight for the CDC lag: a couple of keys of drift is normal, 25 is not.
        { id: 'key-drift', metric: 'keyDrift', ...w, threshold: 3, consecutive: 2 },
        { id: 'cdc-lag', metric: 'cdcLagMs', ...w, threshold: 1500, consecutive: 2 },
        { id: 'spot-check', metric: 'spotCheckMismatches', aggregate: 'sum', window: '5s', threshold: 0 },
      ],
    },
    soak: {
      duration: '8s',
      criteria: [
        { id: 'memory', metric: 'targetMemoryPct', ...w, threshold: 85, severity: 'warn' },
        { id: 'evictions', metric: 'targetEvictions', aggregate: 'sum', window: '5s', threshold: 0 },
        { id: 'errors', metric: 'targetErrorRate', ...w, threshold: 5 },
        { id: 'legacy-writes', metric: 'legacyWriteOps', aggregate: 'sum', window: '3s', threshold: 0 },
        { id: 'legacy-clients', metric: 'legacyAppClients', ...w, threshold: 0, consecutive: 2 },
      ],
    },
  };
}

function printAlert(m: OutgoingMessage): void {
  const lines = m.body.split('\n').filter((l) => l.trim() !== '');
  say(`   ✉ SNS ${m.topic}: ${m.subject}`);
  for (const l of lines.slice(1, 4)) say(`       ${l}`);
}

async function tickLine(deps: TickDeps, now: number): Promise<SoakStateName | undefined> {
  const report = await runTick(deps, { now });
  const t = report.tenants[0];
  if (!t) return undefined;
  const v = t.verdict;
  const firing = v?.firing.map((f) => f.id).join(',') || '-';
  const clock = v ? `${formatDuration(v.elapsedMs)}/${formatDuration(v.requiredMs)}` : '';
  const moves = t.transitions.map((x) => `  ⇒ ${x.from} → ${x.to}: ${x.reason}`).join('\n');
  say(
    `   tick ${new Date(now).toISOString().slice(11, 19)}  ${(t.state ?? '?').padEnd(19)} clock ${clock.padEnd(9)} firing ${firing}  sample ${t.sample?.durationMs ?? '?'}ms${t.ok ? '' : `  ERROR ${t.error}`}`,
  );
  if (moves) say(moves);
  return t.state;
}

async function main(): Promise<void> {
  const started = Date.now();
  step('1. start real Redis topologies on free loopback ports');
  const [legacy, target, stateStore] = await Promise.all([
    startReplicated({ replicas: 1, sentinels: 1 }),
    startCluster({ masters: 3, replicasPerMaster: 1, config: { maxmemory: '256mb' } }),
    startStandalone(),
  ]);
  const sentinel = legacy.sentinels[0];
  if (!sentinel) throw new Error('no sentinel started');
  say(
    `   legacy: primary ${legacy.primary.port}, replica ${legacy.replicas.map((r) => r.port).join(',')}, Sentinel ${sentinel.port} (${legacy.masterName})`,
  );
  say(`   target: 3 masters ${target.masters.map((m) => m.port).join(',')} + 3 replicas (cluster mode)`);
  say(`   state store: ${stateStore.node.url}`);

  const legacyDbs = new Map<number, Redis>();
  const legacyDb = (db: number) => {
    let c = legacyDbs.get(db);
    if (!c) {
      c = new Redis({ port: legacy.primary.port, db, connectionName: 'riot-demo' });
      legacyDbs.set(db, c);
    }
    return c;
  };
  const targetClient = new Cluster([{ host: '127.0.0.1', port: target.masters[0]?.port ?? 0 }]);
  const dir = mkdtempSync(join(tmpdir(), 'soakwatch-demo-'));
  let copier: Awaited<ReturnType<typeof startCopier>> | undefined;
  let app: NodeJS.Timeout | undefined;
  try {
    step('2. seed legacy (3 dbs, every type) and replicate with the CDC copier');
    const seeded = await seed(legacyDb, { '0': 1500, '1': 600, '2': 300 });
    copier = await startCopier({
      legacy: legacyDb,
      subscriber: new Redis({ port: legacy.primary.port, connectionName: 'riot-demo-cdc' }),
      target: targetClient,
      dbMap: DB_MAP,
      delayMs: 50,
    });
    const copied = await copier.fullSync();
    say(`   seeded ${seeded} keys, full sync copied ${copied}; CDC follows live writes (50 ms lag)`);
    // The application keeps writing orders to legacy while replication runs.
    let order = 0;
    const appClient = legacyDb(1);
    app = setInterval(() => void appClient.set(`order:${order++}`, 'pending').catch(() => undefined), 200);

    step('3. soakwatch check: one comparison of both clusters');
    const checkArgs = ['check', '--legacy', legacy.primary.url, '--target', target.url, '--cluster'];
    checkArgs.push('--db-map', '0=,1=orders:,2=impact:');
    say(`   $ soakwatch ${checkArgs.join(' ')}`);
    const check = await soakwatch(checkArgs);
    say(check.stdout.trimEnd().replace(/^/gm, '   '));

    step('4. the tenant config (soak policy compressed to seconds)');
    const configPath = join(dir, 'soakwatch.config.yml');
    writeFileSync(
      configPath,
      stringify({
        stateStore: { url: stateStore.node.url },
        notifications: {
          alertTopicArn: 'arn:aws:sns:local:000000000000:soakwatch-alerts',
          releaseTopicArn: 'arn:aws:sns:local:000000000000:soakwatch-release',
          repeatEvery: '30m',
        },
        sampling: { budgetMs: 3000, spotCheckKeys: 50 },
        tenants: [
          {
            id: 'acme',
            legacy: {
              sentinel: { hosts: [`127.0.0.1:${sentinel.port}`], name: legacy.masterName },
              dbs: [0, 1, 2],
            },
            target: { url: target.url, cluster: true, dbMap: DB_MAP },
            soak: policy(),
            hooks: [
              {
                id: 'scale-down-legacy',
                on: ['SCALE_DOWN_APPROVED'],
                action: { type: 'lambda', functionName: 'legacy-redis-scale-down' },
                dryRun: true,
              },
            ],
          },
        ],
      }),
    );
    say(`   ${configPath}`);
    const config = loadConfig(configPath);
    const tenant = config.tenants[0];
    if (!tenant) throw new Error('no tenant');
    const runtime = await openTickRuntime(config, {
      // Warnings and errors on stderr; everything with SOAKWATCH_DEMO_VERBOSE set (the CLI's own log).
      log: stderrLog(Boolean(process.env.SOAKWATCH_DEMO_VERBOSE)),
      aws: false,
    });
    // No AWS here: the SNS messages are printed instead of published.
    const deps: TickDeps = { ...runtime.deps, publish: async (m) => printAlert(m) };
    try {
      step('5. replication phase: a tick every second (sample → store → judge → alert)');
      let state: SoakStateName | undefined;
      for (let i = 0; i < 30 && state !== 'CUTOVER_READY'; i++) {
        if (i === 2) {
          say(
            '   ! a bug in the copier drops 25 keys of db 2 (impact:) — the spot-check and the key drift catch it',
          );
          copier.paused = true;
          for (let k = 0; k < 25; k++) await legacyDb(2).set(`impact:lost:${k}`, 'x');
          copier.paused = false;
        }
        if (i === 6) {
          say('   ! the copier is fixed and re-syncs: drift clears, the readiness clock starts again');
          await copier.fullSync();
        }
        state = await tickLine(deps, Date.now());
        await sleep(1000);
      }

      step('6. cutover: the release manager moves the applications to the target');
      if (app) clearInterval(app);
      await sleep(1200); // the last legacy writes drain through the CDC copier
      await copier.stop();
      const cut = await performAction(
        deps,
        tenant.id,
        { action: 'cutover', actor: 'release-manager@demo', reason: 'maintenance window 42' },
        Date.now(),
      );
      say(`   ${cut.transition.from} → ${cut.transition.to} by ${cut.transition.actor}`);
      let n = 0;
      app = setInterval(
        () => void targetClient.set(`orders:order:new:${n++}`, 'pending').catch(() => undefined),
        200,
      );
      // The classic scale-down breaker: one service was not reconfigured and still writes to legacy.
      const forgotten = legacyDb(2);
      const billing = setInterval(
        () => void forgotten.set('billing:last-run', Date.now()).catch(() => undefined),
        300,
      );

      step('7. soak phase: the target serves production, legacy must stay untouched');
      for (let i = 0; i < 40 && state !== 'PASSED'; i++) {
        if (i === 0) say('   ! the billing service was forgotten and still writes to legacy');
        if (i === 3) {
          say('   ! billing is reconfigured to the target; its legacy connections close');
          clearInterval(billing);
          for (const c of legacyDbs.values()) c.disconnect();
          legacyDbs.clear();
        }
        state = await tickLine(deps, Date.now());
        await sleep(1000);
      }

      step('8. approve the scale-down (the hook is a dry run) and record it');
      const approved = await performAction(
        deps,
        tenant.id,
        { action: 'approve', actor: 'release-manager@demo', reason: 'soak clean' },
        Date.now(),
      );
      say(
        `   ${approved.transition.from} → ${approved.transition.to}; hooks: ${approved.hooks.map((h) => `${h.id} ${h.status}`).join(', ') || 'none'}`,
      );
      const done = await performAction(
        deps,
        tenant.id,
        { action: 'scaled-down', actor: 'platform@demo' },
        Date.now(),
      );
      say(`   ${done.transition.from} → ${done.transition.to}`);

      step('9. soakwatch status');
      say(`   $ soakwatch --config ${configPath} status --tenant ${tenant.id}`);
      const status = await soakwatch(['--config', configPath, 'status', '--tenant', tenant.id]);
      say(status.stdout.trimEnd().replace(/^/gm, '   '));
      const audit = await deps.store.auditTrail(tenant.id, 50);
      say('\n   audit trail:');
      for (const e of audit)
        say(
          `   ${new Date(e.at).toISOString().slice(11, 19)} ${e.actor.padEnd(22)} ${e.action.padEnd(12)} ${e.from ?? ''} → ${e.to ?? ''} ${e.reason ?? ''}`,
        );

      // The migration just run, as the release manager's pages (SOAKWATCH_DEMO_SERVE=off: end here).
      if (process.env.SOAKWATCH_DEMO_SERVE !== 'off') {
        step('10. the status pages (Ctrl-C stops the demo and every Redis process)');
        const pages = await serveStatusPages(deps);
        say(`   status page: ${pages.url}/status`);
        say(
          `   tenant page: ${pages.url}/tenants/${tenant.id}  (sign in at ${pages.url}/login with the token below)`,
        );
        say(`   token:       ${pages.token}`);
        await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        await pages.stop();
      }
    } finally {
      await runtime.close();
    }
  } finally {
    if (app) clearInterval(app);
    await copier?.stop();
    for (const c of legacyDbs.values()) c.disconnect();
    targetClient.disconnect();
    await Promise.allSettled([legacy.stop(), target.stop(), stateStore.stop()]);
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  say(
    `\ndemo finished in ${formatDuration(Date.now() - started)}; every Redis process it started is stopped.`,
  );
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await stopAll();
  process.exitCode = 1;
});
