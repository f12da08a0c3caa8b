/**
 * Cold start benchmark: what a Lambda pays before its handler first runs, and what a release manager waits
 * for `soakwatch --help` and `soakwatch status`.
 * - Functions: each function of serverless.yml is bundled the way the deployment bundles it (its
 *   `custom.esbuild` options handed to esbuild as serverless-esbuild hands them: minified, source maps,
 *   ESM), beside a copy of functions/package.json as the package has it. Its module init is the time
 *   `await import(bundle)` takes in a fresh node process started with the deployment's NODE_OPTIONS
 *   (source maps on), median of the runs; an empty module imported the same way is the baseline. Floor ≤ 150 ms.
 * - CLI: dist/cli.js as `npm run build` makes it; `--help`, and `status` against a real state store
 *   holding a tenant's state, wall time of the whole process against `node -e 0`, in interleaved rounds of
 *   the same run. Floor ≤ 2×.
 * A function over its floor is explained from esbuild's metafile: the packages its module init evaluates
 * and the project files that import them (with `--attribute`, or in a full run, each such import is also
 * timed alone). `npx tsx bench/cold-start.bench.ts [--smoke] [--runs N] [--attribute]`
 */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { parse, stringify } from 'yaml';
import { buildCli } from '../test/integration/cliHarness.js';
import { startStandalone, stopAll } from '../tools/local/index.js';

const ROOT = resolve(import.meta.dirname, '..');
export const MODULE_INIT_FLOOR_MS = 150;
export const CLI_FLOOR_RATIO = 2;

// serverless-esbuild 1.57 (dist/bundle.js) deletes these plugin options before it calls esbuild.
const PLUGIN_ONLY_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
];

export interface FunctionColdStart {
  name: string;
  entry: string;
  bundleBytes: number;
  mapBytes: number;
  /** Median `await import(bundle)` in a fresh process, ms. */
  initMs: number;
  /** Every run, ms. */
  runsMs: number[];
  /** Bytes of the bundle evaluated at module init (statically reachable from the entry) and deferred (dynamic import()). */
  initBytes: number;
  lazyBytes: number;
  /** Bytes evaluated at init of packages no project file imports (the dependencies of those below). */
  sharedBytes: number;
  /** The heaviest packages evaluated at init, with the project files that import them statically. */
  heaviest: { pkg: string; bytes: number; importedBy: string[]; aloneMs?: number }[];
}

export interface ColdStartResult {
  runs: number;
  nodeOptions: string;
  /** Median import of an empty module the same way, ms. */
  emptyImportMs: number;
  functions: FunctionColdStart[];
  cli: {
    /** Median wall time of a whole process, ms. */
    nodeBareMs: number;
    helpMs: number;
    statusMs: number;
    helpRatio: number;
    statusRatio: number;
  };
  /** What missed its floor, in words (empty when every floor holds). */
  failures: string[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

interface Serverless {
  provider?: { environment?: Record<string, unknown> };
  functions?: Record<string, { handler?: string }>;
  custom?: { esbuild?: Record<string, unknown> };
}

/** The esbuild options serverless-esbuild derives from `custom.esbuild` (its defaults for what is unset). */
export function deploymentBuildOptions(serverless: Serverless): BuildOptions {
  const custom = serverless.custom?.esbuild ?? {};
  const exclude = Array.isArray(custom.exclude) ? (custom.exclude as string[]) : ['aws-sdk'];
  const external = Array.isArray(custom.external) ? (custom.external as string[]) : [];
  const options: Record<string, unknown> = { bundle: true, platform: 'node', target: 'node18', ...custom };
  for (const key of PLUGIN_ONLY_OPTIONS) delete options[key];
  const unresolved = Object.entries(options).filter(([, v]) => JSON.stringify(v).includes('${'));
  if (unresolved.length)
    throw new Error(
      `custom.esbuild.${unresolved.map(([k]) => k).join(', ')} holds a serverless variable the bench cannot resolve`,
    );
  return { ...options, external: [...external, ...(exclude.includes('*') ? [] : exclude)] } as BuildOptions;
}

/** `functions/tick.handler` → the source file serverless-esbuild bundles for it. */
function entryOf(handler: string): string {
  const base = handler.slice(0, handler.lastIndexOf('.'));
  for (const ext of ['.ts', '.mts', '.js', '.mjs']) {
    try {
      if (statSync(join(ROOT, base + ext)).isFile()) return base + ext;
    } catch {
      // try the next extension
    }
  }
  throw new Error(`no source file for handler ${handler}`);
}

/** Inputs reachable from the entry without crossing a dynamic import(): what module init evaluates. */
function initInputs(meta: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const path = stack.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const im of meta.inputs[path]?.imports ?? [])
      if (!im.external && im.kind !== 'dynamic-import') stack.push(im.path);
  }
  return seen;
}

/** The build's output files ending in `ext`, as absolute paths (the metafile's are relative to ROOT). */
const outputFiles = (meta: Metafile, ext: string) =>
  Object.keys(meta.outputs)
    .filter((file) => file.endsWith(ext))
    .map((file) => resolve(ROOT, file));

const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];

function explain(
  meta: Metafile,
  entry: string,
): Pick<FunctionColdStart, 'initBytes' | 'lazyBytes' | 'sharedBytes' | 'heaviest'> {
  if (!Object.values(meta.outputs).some((o) => o.entryPoint === entry))
    throw new Error(`no output for ${entry} in the metafile`);
  const atInit = initInputs(meta, entry);
  let initBytes = 0;
  let lazyBytes = 0;
  const bytesByPkg = new Map<string, number>();
  // The bundle is split (serverless.yml `splitting`): the entry file and its chunks, each input in one of them.
  const inputs = Object.entries(meta.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .flatMap(([, o]) => Object.entries(o.inputs));
  for (const [path, { bytesInOutput }] of inputs) {
    if (atInit.has(path)) initBytes += bytesInOutput;
    else lazyBytes += bytesInOutput;
    const pkg = packageOf(path);
    if (pkg && atInit.has(path)) bytesByPkg.set(pkg, (bytesByPkg.get(pkg) ?? 0) + bytesInOutput);
  }
  // Which project file brings each package in (a static import). A package's own bytes only: the
  // dependencies the AWS clients share (@smithy/*, @aws-sdk/core…) are summed apart, as `sharedBytes`.
  const importedBy = new Map<string, Set<string>>();
  for (const path of atInit) {
    if (path.includes('node_modules/')) continue;
    for (const im of meta.inputs[path]?.imports ?? []) {
      const pkg = packageOf(im.path);
      if (!pkg || im.kind === 'dynamic-import') continue;
      const set = importedBy.get(pkg) ?? new Set<string>();
      set.add(path);
      importedBy.set(pkg, set);
    }
  }
  const heaviest = [...bytesByPkg]
    .filter(([pkg]) => importedBy.has(pkg))
    .map(([pkg, bytes]) => ({ pkg, bytes, importedBy: [...(importedBy.get(pkg) ?? [])].sort() }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 10);
  let sharedBytes = 0;
  for (const [pkg, bytes] of bytesByPkg) if (!importedBy.has(pkg)) sharedBytes += bytes;
  return { initBytes, lazyBytes, sharedBytes, heaviest };
}

// Runs in the fresh process: the module init of one bundle, measured around its import.
const MEASURE = `const t0 = performance.now();
await import(process.argv[2]);
process.stdout.write(String(performance.now() - t0));
process.exit(0);
`;

function importMs(dir: string, file: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [join(dir, 'measure.mjs'), pathToFileURL(file).href],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const ms = Number(stdout);
        if (error || !Number.isFinite(ms)) reject(new Error(`importing ${file} failed: ${stderr || error}`));
        else resolvePromise(ms);
      },
    );
  });
}

/** Wall time of `node ...args`, spawn to exit, ms; a non-zero exit is an error (the bench must measure success). */
function processMs(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolvePromise(ms);
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

export async function runColdStartBench(opts: {
  smoke?: boolean;
  runs?: number;
  attribute?: boolean;
}): Promise<ColdStartResult> {
  const runs = opts.runs ?? (opts.smoke ? 5 : 15);
  const serverless = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as Serverless;
  const nodeOptions = String(serverless.provider?.environment?.NODE_OPTIONS ?? '');
  const dir = mkdtempSync(join(tmpdir(), 'soakwatch-cold-start-'));
  const { cli, cleanup } = await buildCli();
  try {
    // 1. The bundles, as `osls package` builds them.
    const options = deploymentBuildOptions(serverless);
    const functions = Object.entries(serverless.functions ?? {}).map(([name, fn]) => {
      if (!fn.handler) throw new Error(`function ${name} has no handler`);
      return { name, entry: entryOf(fn.handler) };
    });
    const built = [];
    for (const { name, entry } of functions) {
      const result = await build({
        ...options,
        absWorkingDir: ROOT,
        entryPoints: [entry],
        outdir: join(dir, dirname(entry)),
        metafile: true,
        logLevel: 'error',
      });
      const file = join(dir, entry.replace(/\.[mc]?[jt]s$/, '.js'));
      built.push({ name, entry, file, meta: result.metafile });
    }
    mkdirSync(join(dir, 'functions'), { recursive: true });
    copyFileSync(join(ROOT, 'functions', 'package.json'), join(dir, 'functions', 'package.json'));
    writeFileSync(join(dir, 'measure.mjs'), MEASURE);
    writeFileSync(join(dir, 'functions', 'empty.js'), 'export {};\n');

    // What the Lambda runtime sets that a module may read at load; the rest of the environment stays out.
    const lambdaEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_OPTIONS: nodeOptions,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'soakwatch',
      POWERTOOLS_METRICS_NAMESPACE: 'Soakwatch',
      SOAKWATCH_CONFIG: join(ROOT, 'soakwatch.example.yml'),
    };

    // 2. The CLI's state store, with one tenant judged once so `status` has a state to show.
    const [store, legacy, target] = await Promise.all([
      startStandalone(),
      startStandalone(),
      startStandalone(),
    ]);
    const config = join(dir, 'soakwatch.config.yml');
    writeFileSync(
      config,
      stringify({
        stateStore: { url: store.node.url },
        tenants: [
          {
            id: 'acme',
            legacy: { url: legacy.node.url, dbs: [0] },
            target: { url: target.node.url, dbMap: { '0': '' } },
          },
        ],
      }),
    );
    // No SOAKWATCH_* variable of the caller's shell may point the CLI elsewhere.
    const cliEnv: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SOAKWATCH_'))),
      NODE_OPTIONS: '',
    };
    const emptyRuns: number[] = [];
    const fnRuns = new Map<string, number[]>(built.map((b) => [b.name, []]));
    const bare: number[] = [];
    const help: number[] = [];
    const status: number[] = [];
    try {
      await processMs([cli, '--config', config, 'tick', '--tenant', 'acme'], cliEnv);
      // Interleaved rounds: load on the machine lands on every measurement alike.
      for (let r = 0; r < runs; r++) {
        emptyRuns.push(await importMs(dir, join(dir, 'functions', 'empty.js'), lambdaEnv));
        for (const b of built)
          fnRuns
            .get(b.name)
            ?.push(
              await importMs(dir, b.file, { ...lambdaEnv, AWS_LAMBDA_FUNCTION_NAME: `soakwatch-${b.name}` }),
            );
        bare.push(await processMs(['-e', '0'], cliEnv));
        help.push(await processMs([cli, '--help'], cliEnv));
        status.push(await processMs([cli, '--config', config, 'status', '--tenant', 'acme'], cliEnv));
      }
    } finally {
      await Promise.allSettled([store.stop(), legacy.stop(), target.stop()]);
      await stopAll();
    }

    const results: FunctionColdStart[] = built.map((b) => {
      const runsMs = fnRuns.get(b.name) ?? [];
      return {
        name: b.name,
        entry: b.entry,
        // The entry file and its chunks (the split bundle's files, as the function's zip holds them).
        bundleBytes: outputFiles(b.meta, '.js').reduce((n, f) => n + statSync(f).size, 0),
        mapBytes: outputFiles(b.meta, '.js.map').reduce((n, f) => n + statSync(f).size, 0),
        initMs: median(runsMs),
        runsMs,
        ...explain(b.meta, b.entry),
      };
    });
    const failures: string[] = [];
    const over = results.filter((f) => f.initMs > MODULE_INIT_FLOOR_MS);
    for (const f of over)
      failures.push(`${f.name}: module init ${f.initMs.toFixed(0)} ms > ${MODULE_INIT_FLOOR_MS} ms`);
    // Each package a function over its floor evaluates at init, imported alone the same way.
    if (over.length && (opts.attribute ?? !opts.smoke)) {
      const pkgs = [...new Set(over.flatMap((f) => f.heaviest.map((h) => h.pkg)))];
      const alone = new Map<string, number>();
      for (const pkg of pkgs) {
        const file = join(dir, 'functions', `alone-${pkg.replace(/[@/]/g, '_')}.js`);
        await build({
          ...options,
          absWorkingDir: ROOT,
          stdin: { contents: `export * as m from '${pkg}';\n`, resolveDir: ROOT, loader: 'js' },
          outfile: file,
          logLevel: 'error',
        });
        const ms: number[] = [];
        for (let r = 0; r < Math.min(runs, 7); r++) ms.push(await importMs(dir, file, lambdaEnv));
        alone.set(pkg, median(ms));
      }
      for (const f of over) for (const h of f.heaviest) h.aloneMs = alone.get(h.pkg);
    }
    const bareMs = median(bare);
    const cliResult = {
      nodeBareMs: bareMs,
      helpMs: median(help),
      statusMs: median(status),
      helpRatio: median(help) / bareMs,
      statusRatio: median(status) / bareMs,
    };
    if (cliResult.helpRatio > CLI_FLOOR_RATIO)
      failures.push(`soakwatch --help: ${cliResult.helpRatio.toFixed(2)}× node -e 0 > ${CLI_FLOOR_RATIO}×`);
    if (cliResult.statusRatio > CLI_FLOOR_RATIO)
      failures.push(`soakwatch status: ${cliResult.statusRatio.toFixed(2)}× node -e 0 > ${CLI_FLOOR_RATIO}×`);
    return {
      runs,
      nodeOptions,
      emptyImportMs: median(emptyRuns),
      functions: results,
      cli: cliResult,
      failures,
    };
  } finally {
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** The numbers against their floors, as bench/main.ts and a direct run print them. */
export function printColdStart(r: ColdStartResult): void {
  console.log(
    `cold start: module init of each function's deployment bundle (fresh node, NODE_OPTIONS=${r.nodeOptions || '(none)'}), median of ${r.runs}`,
  );
  console.log(`  empty module (baseline): ${r.emptyImportMs.toFixed(1)} ms`);
  for (const f of r.functions) {
    const verdict = f.initMs <= MODULE_INIT_FLOOR_MS ? 'ok' : 'OVER';
    console.log(
      `  ${f.name.padEnd(18)} ${f.initMs.toFixed(1).padStart(6)} ms  (${(f.initMs / r.emptyImportMs).toFixed(0)}× empty; floor ≤ ${MODULE_INIT_FLOOR_MS} ms: ${verdict})  bundle ${kib(f.bundleBytes)} + map ${kib(f.mapBytes)}; at init ${kib(f.initBytes)}, deferred ${kib(f.lazyBytes)}`,
    );
    if (f.initMs <= MODULE_INIT_FLOOR_MS) continue;
    console.log(
      '    evaluated at init (package bytes, the package imported alone, the project files importing it):',
    );
    for (const h of f.heaviest)
      console.log(
        `      ${kib(h.bytes).padStart(8)} ${h.pkg}${h.aloneMs === undefined ? '' : ` (alone ${h.aloneMs.toFixed(0)} ms)`} ← ${h.importedBy.join(', ')}`,
      );
    console.log(`      ${kib(f.sharedBytes).padStart(8)} their dependencies (@smithy/*, @aws-sdk/core…)`);
  }
  const c = r.cli;
  console.log(`cli: whole process, median of ${r.runs} interleaved rounds`);
  console.log(`  node -e 0 (baseline): ${c.nodeBareMs.toFixed(0)} ms`);
  console.log(
    `  soakwatch --help:     ${c.helpMs.toFixed(0)} ms → ${c.helpRatio.toFixed(2)}× (floor ≤ ${CLI_FLOOR_RATIO}×)`,
  );
  console.log(
    `  soakwatch status:     ${c.statusMs.toFixed(0)} ms → ${c.statusRatio.toFixed(2)}× (floor ≤ ${CLI_FLOOR_RATIO}×)`,
  );
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const runsArg = process.argv.indexOf('--runs');
  const result = await runColdStartBench({
    smoke: process.argv.includes('--smoke'),
    attribute: process.argv.includes('--attribute') || undefined,
    ...(runsArg >= 0 ? { runs: Number(process.argv[runsArg + 1]) } : {}),
  });
  printColdStart(result);
  for (const f of result.failures) console.log(`FAIL: ${f}`);
  if (result.failures.length) process.exitCode = 1;
}
