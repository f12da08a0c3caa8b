/**
 * Scheduler view of a process's main thread from /proc (Linux): CPU time, time spent runnable but
 * waiting for a CPU, and involuntary context switches. A Redis command's duration (commandstats,
 * SLOWLOG, TIME in a script) is wall time: when the main thread is preempted in the middle of a
 * command, the wait is counted as the command's time. These counters tell the two apart.
 */
import { readFileSync } from 'node:fs';

export interface SchedSnapshot {
  /** Time on a CPU, ns (schedstat field 1). */
  cpuNs: number;
  /** Time runnable but waiting for a CPU, ns (schedstat field 2). */
  waitNs: number;
  /** Involuntary context switches (preempted while running). */
  preempted: number;
}

/** The main thread's counters (tid = pid), or undefined where /proc is not readable. */
export function schedOf(pid: number): SchedSnapshot | undefined {
  try {
    const [cpu, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const preempted = Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? Number.NaN);
    if (cpu === undefined || wait === undefined || Number.isNaN(preempted)) return undefined;
    return { cpuNs: cpu, waitNs: wait, preempted };
  } catch {
    return undefined;
  }
}

/** after − before, or undefined when either is missing. */
export function schedDelta(
  before: SchedSnapshot | undefined,
  after: SchedSnapshot | undefined,
): SchedSnapshot | undefined {
  if (!before || !after) return undefined;
  return {
    cpuNs: after.cpuNs - before.cpuNs,
    waitNs: after.waitNs - before.waitNs,
    preempted: after.preempted - before.preempted,
  };
}
