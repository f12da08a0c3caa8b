/**
 * False-alarm benchmark: the healthy scenario of test/scenario (a legacy of 3 dbs behind Sentinel, a
 * CDC stand-in copying into a 3-shard cluster with replicas and maxmemory, ≥ 1,000 writes/s, the
 * default policy compressed in time) run N times, replication → cutover → soak. Every message to
 * the alert topic on a healthy tenant is a false alarm. Printed: on-call messages per tenant-hour
 * (of wall time, and of production time: each compressed sample stands for a production one), how
 * many runs got ready and passed, tick wall times, and the drift metrics' worst values.
 * Baseline, same process: the same scenario on a quiet keyspace (no application load) — what a
 * quiet lab test sees.
 *
 *   npx tsx bench/false-alarms.bench.ts --runs 10            (≈ 3 min a run)
 *   npx tsx bench/false-alarms.bench.ts --smoke              (1 loaded + 1 quiet run, 20 s phases)
 *   npx tsx bench/false-alarms.bench.ts --runs 1 --phase-seconds 900   (one long run)
 *   options: --driver in-process|cli, --baseline-runs N (default 1), --phase-seconds S (default 50)
 */
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { policySchema } = await import('../src/config/schema.js');
const { stopAll } = await import('../tools/local/index.js');
const { buildCli, tempFiles } = await import('../test/integration/cliHarness.js');
const { Fleet } = await import('../test/support/scenario/fleet.js');
const { compressPolicy, SCENARIO_COMPRESSION } = await import('../test/support/scenario/policy.js');
const { percentile, summarize, formatSummary } = await import('../test/support/scenario/report.js');

type TickRecord = import('../test/support/scenario/ticker.js').TickRecord;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const smoke = process.argv.includes('--smoke');
const runs = Number(arg('runs') ?? (smoke ? 1 : 10));
const baselineRuns = Number(arg('baseline-runs') ?? 1);
const phaseSeconds = Number(arg('phase-seconds') ?? (smoke ? 20 : 50));
const driverKind = (arg('driver') ?? 'in-process') as 'in-process' | 'cli';
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs: expected an integer ≥ 1, got ${arg('runs')}`);
if (!(phaseSeconds >= 10))
  throw new Error(`--phase-seconds: expected a number ≥ 10, got ${arg('phase-seconds')}`);
if (driverKind !== 'in-process' && driverKind !== 'cli')
  throw new Error(`--driver: in-process or cli, got ${driverKind}`);

// The scenario compression, with both phases set to --phase-seconds (the windows stay as in the tests).
const defaults = policySchema.parse({});
const k = SCENARIO_COMPRESSION.timeScale;
const policy = compressPolicy(defaults, {
  timeScale: k,
  readyAfterScale: defaults.replication.readyAfter / k / (phaseSeconds * 1000),
  soakScale: defaults.soak.duration / k / (phaseSeconds * 1000),
});
const SLACK_INTERVALS = 8;

interface RunResult {
  loaded: boolean;
  records: TickRecord[];
  readyTick: number | null;
  passedTick: number | null;
  onCall: string[];
  wallMs: number;
  opsPerSec: number;
}

const cli = driverKind === 'cli' ? await buildCli() : undefined;
const files = tempFiles();

async function run(loaded: boolean): Promise<RunResult> {
  const fleet = await Fleet.start({
    legacies: 1,
    tenants: [{ id: 'acme', legacy: 0 }],
    policy,
    driver: driverKind,
    ...(cli ? { cli: { path: cli.cli, write: files.write } } : {}),
    ...(loaded ? {} : { opsPerSec: 0 }),
  });
  try {
    const t = fleet.tenant('acme');
    fleet.startTicking();
    const ready = await t.ticker.waitFor(
      (r) => r.state === 'CUTOVER_READY',
      policy.replication.readyAfter + SLACK_INTERVALS * policy.sampleInterval,
    );
    const { markedAt } = await fleet.cutover(['acme'], { force: !ready });
    const passed = await t.ticker.waitFor(
      (r) => r.startedAt > markedAt && r.state === 'PASSED',
      policy.soak.duration + SLACK_INTERVALS * policy.sampleInterval,
    );
    await t.ticker.stop();
    const records = t.ticker.sorted();
    const first = records[0];
    const last = records.at(-1);
    return {
      loaded,
      records,
      readyTick: ready?.index ?? null,
      passedTick: passed?.index ?? null,
      onCall: records.flatMap((r) => r.onCall.map((m) => `#${r.index} ${m.subject}`)),
      wallMs: first && last ? last.startedAt - first.startedAt + policy.sampleInterval : 0,
      opsPerSec: Math.min(
        t.legacy.load.stats().opsPerSec,
        t.targetLoad?.stats().opsPerSec ?? Number.POSITIVE_INFINITY,
      ),
    };
  } finally {
    await fleet.stop();
  }
}

function report(label: string, results: RunResult[]): { alertsPerHour: number } {
  const hours = results.reduce((s, r) => s + r.wallMs, 0) / 3_600_000;
  const alerts = results.reduce((s, r) => s + r.onCall.length, 0);
  const all = results.flatMap((r) => r.records);
  const walls = all.filter((r) => !r.skipped).map((r) => r.wallMs);
  const worst = summarize(label, all).worstDrift;
  const prodHours = hours * k;
  console.log(
    `\n${label}: ${results.length} runs, ${all.length} ticks, ${(hours * 60).toFixed(1)} tenant-minutes of wall time`,
  );
  console.log(
    `  on-call messages: ${alerts} → ${(alerts / hours).toFixed(1)} per tenant-hour of wall time, ${(alerts / prodHours).toFixed(2)} per tenant-hour of production time (×${k})`,
  );
  console.log(
    `  ready: ${results.filter((r) => r.readyTick !== null).length}/${results.length}, passed: ${results.filter((r) => r.passedTick !== null).length}/${results.length}`,
  );
  console.log(`  tick wall p50 ${percentile(walls, 50)} ms, p99 ${percentile(walls, 99)} ms`);
  console.log(`  load: min ${Math.min(...results.map((r) => r.opsPerSec)).toFixed(0)} writes/s`);
  console.log(
    `  worst drift: ${Object.entries(worst)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, v]) => `${key}=${Number.isInteger(v) ? v : v.toPrecision(3)}`)
      .join(', ')}`,
  );
  const bySubject = new Map<string, number>();
  for (const r of results)
    for (const s of r.onCall)
      bySubject.set(s.replace(/^#\d+ /, ''), (bySubject.get(s.replace(/^#\d+ /, '')) ?? 0) + 1);
  for (const [subject, n] of bySubject) console.log(`    ${n}× ${subject}`);
  return { alertsPerHour: hours > 0 ? alerts / hours : 0 };
}

console.log(
  `false alarms of a healthy tenant: ${runs} loaded run(s) + ${baselineRuns} quiet baseline run(s), ${driverKind} ticks, sample every ${policy.sampleInterval / 1000} s, readyAfter ${policy.replication.readyAfter / 1000} s, soak ${policy.soak.duration / 1000} s`,
);
try {
  const baseline: RunResult[] = [];
  for (let i = 0; i < baselineRuns; i++) {
    baseline.push(await run(false));
    console.log(formatSummary(summarize(`quiet baseline ${i + 1}`, baseline.at(-1)?.records ?? [])));
  }
  const loaded: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    loaded.push(await run(true));
    console.log(formatSummary(summarize(`loaded run ${i + 1}`, loaded.at(-1)?.records ?? [])));
  }
  if (baseline.length > 0) report('quiet baseline (no application load)', baseline);
  const { alertsPerHour } = report('production-like load', loaded);
  // A healthy tenant must never page: any message is a false alarm.
  if (alertsPerHour > 0) process.exitCode = 1;
} finally {
  cli?.cleanup();
  files.cleanup();
  await stopAll();
}
