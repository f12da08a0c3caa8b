import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { startStandalone } from '../../tools/local/index.js';
import { trackChild } from '../../tools/local/registry.js';
import type { Standalone } from '../../tools/local/types.js';

// The fault suite's shared parts: one row per fault for the report table, and a state store that can be
// killed and started again on the same port and data directory (AOF on), as a restarted ElastiCache
// node or a self-managed store comes back.

const ROOT = resolve(import.meta.dirname, '../..');
/** Gitignored (`.soakwatch/`): one JSON file per row, so parallel files never write the same file. */
export const REPORT_DIR = join(ROOT, '.soakwatch', 'faults');

export interface FaultRow {
  /** Row of issue 12's table, e.g. `(a) state store flushed`. */
  fault: string;
  /** Ticks from the fault until a tick reported it (error, alert, nodata); null when nothing was to detect. */
  detectedAfterTicks: number | null;
  /** The tenant's state afterwards, in words. */
  stateAfter: string;
  /** What was lost: `nothing`, or exactly what. */
  lost: string;
  /** Wall time of the test, ms. */
  tookMs: number;
  /** Measured numbers worth a column of their own (tick wall times, ops/s…). */
  notes?: string;
  file: string;
  /** When the row was measured (ISO), set by recordRow. */
  at?: string;
}

/** Writes the row (for the table) and prints it. */
export function recordRow(row: FaultRow): void {
  mkdirSync(REPORT_DIR, { recursive: true });
  row.at ??= new Date().toISOString();
  const slug = row.fault
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
  writeFileSync(join(REPORT_DIR, `${slug}.json`), `${JSON.stringify(row, null, 2)}\n`);
  console.log(`fault row: ${formatRow(row)}`);
}

export function formatRow(r: FaultRow): string {
  const ticks = r.detectedAfterTicks === null ? '—' : String(r.detectedAfterTicks);
  return `| ${r.fault} | ${ticks} | ${r.stateAfter} | ${r.lost} | ${(r.tookMs / 1000).toFixed(1)} s | ${r.notes ?? ''} |`;
}

/**
 * Writes every row recorded so far (by any file of the suite, this run or an earlier one) to
 * `.soakwatch/faults/report.md` and prints the table: each file calls it in its afterAll, so the file
 * that finishes last prints the whole table.
 */
export function printReport(): void {
  const table = reportTable();
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(join(REPORT_DIR, 'report.md'), `# Fault suite report\n\n${table}\n`);
  console.log(`fault suite report (${join(REPORT_DIR, 'report.md')}):\n${table}`);
}

/** Every recorded row as a markdown table (sorted by fault), e.g. for docs/faults.md. */
export function reportTable(): string {
  let files: string[] = [];
  try {
    files = readdirSync(REPORT_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return '(no rows recorded)';
  }
  const rows = files
    .map((f) => JSON.parse(readFileSync(join(REPORT_DIR, f), 'utf8')) as FaultRow)
    .sort((a, b) => a.fault.localeCompare(b.fault));
  return [
    '| fault | detected after (ticks) | state afterwards | lost | test time | measured |',
    '|---|---|---|---|---|---|',
    ...rows.map(formatRow),
  ].join('\n');
}

/** Polls until `check` holds; fails after `timeoutMs` naming what it waited for. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pings(port: number): Promise<boolean> {
  const c = new Redis({ port, lazyConnect: true, disableClientInfo: true, retryStrategy: () => null });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/**
 * A standalone state store that can be killed (SIGKILL: no shutdown save) and started again on the same
 * port with the same config and data directory. `aof`: appendonly with fsync always, so every
 * acknowledged write survives the kill; without it the restarted store is empty (a replaced node).
 */
export class RestartableStore {
  private replacement: ChildProcess | undefined;

  private constructor(
    private readonly first: Standalone,
    readonly aof: boolean,
  ) {}

  static async start(opts: { aof: boolean }): Promise<RestartableStore> {
    const s = await startStandalone(opts.aof ? { config: { appendonly: 'yes', appendfsync: 'always' } } : {});
    return new RestartableStore(s, opts.aof);
  }

  get url(): string {
    return this.first.node.url;
  }

  get port(): number {
    return this.first.node.port;
  }

  /** SIGKILL, and wait until the port refuses connections. */
  async kill(): Promise<void> {
    if (this.replacement) {
      const r = this.replacement;
      this.replacement = undefined;
      const exited = new Promise((res) => r.once('exit', res));
      if (r.exitCode === null && r.signalCode === null) r.kill('SIGKILL');
      await exited;
    } else {
      await this.first.node.kill();
    }
    await waitFor('the store to refuse connections', async () => !(await pings(this.port)));
  }

  /** Starts redis-server again from the same config file (same port, same dir: the AOF is replayed). */
  async restart(opts: { empty?: boolean } = {}): Promise<void> {
    const dir = this.first.node.dir;
    const conf = join(dir, 'redis.conf');
    if (opts.empty) {
      // Another, empty store at the same address (a replaced node): the data dir is not read.
      const emptyDir = join(dir, 'replaced');
      mkdirSync(emptyDir, { recursive: true });
      this.replacement = spawn('redis-server', [conf, '--dir', emptyDir, '--appendonly', 'no'], {
        cwd: dir,
        stdio: 'ignore',
      });
    } else {
      this.replacement = spawn('redis-server', [conf], { cwd: dir, stdio: 'ignore' });
    }
    trackChild(this.replacement);
    await waitFor('the restarted store to answer', () => pings(this.port), 15_000);
  }

  async stop(): Promise<void> {
    if (this.replacement) await this.kill().catch(() => undefined);
    await this.first.stop();
  }
}

/**
 * The shipped `sampler` criterion (a node that cannot be read, warn, 2 in a row) with its window compressed
 * like the fixture's: the fixture's compressed policy leaves it out.
 */
export const SAMPLER_CRITERION = {
  id: 'sampler',
  metric: 'samplerFailures',
  aggregate: 'last',
  window: '3s',
  threshold: 0,
  consecutive: 2,
  severity: 'warn',
} as const;
