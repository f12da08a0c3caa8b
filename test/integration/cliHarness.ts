import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Builds the command line as users get it (`npm run build` → dist/cli.js and its chunks) and copies
 * dist/ to a private folder, so another build of dist/ during the run cannot swap it. The copy stays
 * under node_modules/ of the project: a bare import resolves as it does from dist/.
 */
export async function buildCli(): Promise<{ cli: string; cleanup(): void }> {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'soakwatch-cli-test-'));
  const cli = join(dir, 'cli.js');
  // Serialized with the other CLI test files, which build into the same dist/; the copy is made under
  // the same lock (cli.js imports its commands' chunks from its own folder: all of dist/ is copied).
  await promisify(execFile)(
    'flock',
    ['/tmp/soakwatch-cli-build.lock', 'sh', '-c', 'node scripts/build.mjs && cp -R dist/. "$0"', dir],
    { cwd: ROOT, timeout: 60_000 },
  );
  return { cli, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs `node cli.js ...args` like a user in a shell, and fails when the process does not end on its own
 * within `timeoutMs` (a leaked handle would keep a command line hanging). `interruptOn`: send SIGINT once
 * stderr matches.
 */
export function runCli(
  cli: string,
  args: string[],
  opts: { timeoutMs?: number; cwd?: string; env?: Record<string, string>; interruptOn?: RegExp } = {},
): Promise<CliRun> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    let interrupted = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Ctrl-C as a user would press it, once the command shows it is under way.
      if (opts.interruptOn && !interrupted && opts.interruptOn.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `soakwatch ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A temp folder for config and policy files of one test file. */
export function tempFiles(): { write(name: string, content: unknown): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'soakwatch-cli-'));
  return {
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, typeof content === 'string' ? content : stringify(content));
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The non-empty lines of a stream. */
export const linesOf = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');
