import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// Everything this Node process started, so it can be torn down on stopAll() and, synchronously,
// when the process exits or is interrupted (a crashed test run must not leave redis-servers behind).
const children = new Map<number, ChildProcess>();
const dirs = new Set<string>();
const topologies = new Set<{ stop(): Promise<void> }>();
let handlersInstalled = false;

/** Remembers a started child until it exits. */
export function trackChild(child: ChildProcess): void {
  installExitHandlers();
  const pid = child.pid;
  if (pid === undefined) return;
  children.set(pid, child);
  child.once('exit', () => children.delete(pid));
}

/** Remembers a temp dir to delete at exit if its topology was never stopped. */
export function trackDir(dir: string): void {
  installExitHandlers();
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
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
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}
