import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Everything this Node process started, so it can be torn down on stopAll() and, synchronously,
// when the process exits or is interrupted (a crashed test run must not leave redis-servers behind).
const children = new Map<number, ChildProcess>();
const dirs = new Set<string>();
const topologies = new Set<{ stop(): Promise<void> }>();
let handlersInstalled = false;
let watchdogDir: string | undefined;

/**
 * A SIGKILLed Node process runs no exit handler, so a tiny shell outlives it: it polls our pid and,
 * once we are gone, SIGKILLs the redis-servers still listed and deletes the temp dirs.
 */
function startWatchdog(): void {
  if (watchdogDir) return;
  try {
    watchdogDir = mkdtempSync(join(tmpdir(), 'soakwatch-watchdog-'));
    writeFileSync(join(watchdogDir, 'pids'), '');
    writeFileSync(join(watchdogDir, 'dirs'), '');
    const script = [
      "trap '' INT TERM HUP",
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
      // Only pids that are still redis-server processes: a pid may have been reused meanwhile.
      'for p in $(cat "$2/pids"); do grep -qa redis-server "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"; done',
      'while read -r d; do case "$d" in */soakwatch-*) rm -rf "$d";; esac; done < "$2/dirs"',
      'rm -rf "$2"',
    ].join('\n');
    const child = spawn('sh', ['-c', script, 'soakwatch-watchdog', String(process.pid), watchdogDir], {
      detached: false,
      stdio: 'ignore',
    });
    child.on('error', () => {
      // no sh: the exit handlers still cover every exit but SIGKILL
    });
    child.unref();
  } catch {
    watchdogDir = undefined;
  }
}

function syncWatchdog(): void {
  if (!watchdogDir) return;
  try {
    writeFileSync(join(watchdogDir, 'pids'), [...children.keys()].join('\n'));
    writeFileSync(join(watchdogDir, 'dirs'), `${[...dirs].join('\n')}\n`);
  } catch {
    // the watchdog is a second line of defence only
  }
}

/** Remembers a started child until it exits. */
export function trackChild(child: ChildProcess): void {
  installExitHandlers();
  const pid = child.pid;
  if (pid === undefined) return;
  children.set(pid, child);
  syncWatchdog();
  child.once('exit', () => {
    children.delete(pid);
    syncWatchdog();
  });
}

/** Remembers a temp dir to delete at exit if its topology was never stopped. */
export function trackDir(dir: string): void {
  installExitHandlers();
  dirs.add(dir);
  syncWatchdog();
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
  syncWatchdog();
}

export function trackTopology(topology: { stop(): Promise<void> }): void {
  topologies.add(topology);
}

export function untrackTopology(topology: { stop(): Promise<void> }): void {
  topologies.delete(topology);
}

/** PIDs of the children still alive, for tests that prove nothing is left. */
export function livePids(): number[] {
  return [...children.keys()];
}

/** Stops every topology and child this process started and deletes their temp dirs. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...topologies].map((t) => t.stop()));
  topologies.clear();
  await Promise.allSettled([...children.values()].map((c) => killChild(c)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
  syncWatchdog();
}

/** SIGKILL (works on a SIGSTOPped process too) and resolve once the child has exited. */
export function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    try {
      child.kill('SIGKILL');
    } catch {
      resolve();
    }
  });
}

function killAllSync(): void {
  for (const pid of children.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  dirs.clear();
  if (watchdogDir) rmSync(watchdogDir, { recursive: true, force: true });
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  process.off(signal, onSignal);
  // Our listener replaced the default action: re-raise so the process still ends as it would have,
  // unless someone else listens and decides.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  startWatchdog();
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}
