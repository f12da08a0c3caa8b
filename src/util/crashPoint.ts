/**
 * Test-only crash hook: with `SOAKWATCH_TEST_CRASH_AT=<point>` in its environment, the process kills
 * itself (SIGKILL: no `finally`, no lock release, no flush) when it reaches that write point of a tick.
 * The fault suite runs a tick in a child process this way to prove that a tick killed between two of
 * its writes loses nothing and duplicates nothing. Unset (always, outside that suite) it costs one
 * environment read.
 */
export type CrashPoint = 'locked' | 'sample' | 'history' | 'state' | 'alert-published' | 'alerts';

export function crashPoint(point: CrashPoint): void {
  if (process.env.SOAKWATCH_TEST_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
