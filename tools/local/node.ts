import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { LocalRedisError, LocalRedisStartError } from './errors.js';
import { freePort } from './ports.js';
import { killChild, trackChild } from './registry.js';
import type { RedisProcess } from './types.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  caPem: string;
}

/** How the library itself talks to a node (readiness, topology setup). */
export interface AdminAuth {
  username?: string;
  password: string;
}

export interface NodeSpec {
  /** Short label for errors and the node's sub directory, e.g. `primary`, `replica-1`. */
  name: string;
  /** Topology temp dir; the node gets `<root>/<name>`. */
  root: string;
  sentinel?: boolean;
  tls?: TlsFiles;
  auth?: AdminAuth;
  /** Also reserve a cluster bus port (set explicitly: port+10000 may belong to someone else). */
  busPort?: boolean;
  /** Directives beyond the common ones, given the ports chosen for this attempt. */
  directives(ports: { port: number; busPort: number | undefined }): string[];
  startTimeoutMs?: number;
}

/** A started node: the public RedisProcess plus what the library needs to drive it. */
export interface LocalNode extends RedisProcess {
  name: string;
  dir: string;
  logFile: string;
  busPort: number | undefined;
  tls: TlsFiles | undefined;
  auth: AdminAuth | undefined;
  /** True once the process has exited (killed or crashed). */
  readonly exited: boolean;
}

const MAX_BIND_ATTEMPTS = 5;

/** Quotes a value for redis.conf (paths, empty strings). */
export function q(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Starts one redis-server (or Sentinel), retrying on fresh ports when the bind races someone else. */
export async function startNode(spec: NodeSpec): Promise<LocalNode> {
  const dir = join(spec.root, spec.name);
  mkdirSync(dir, { recursive: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_BIND_ATTEMPTS; attempt++) {
    const port = await freePort();
    const busPort = spec.busPort ? await freePort() : undefined;
    try {
      return await launch(spec, dir, port, busPort);
    } catch (error) {
      lastError = error;
      if (!(error instanceof LocalRedisStartError && /address already in use/i.test(error.logTail)))
        throw error;
    }
  }
  throw new LocalRedisError(`${spec.name}: no free port after ${MAX_BIND_ATTEMPTS} attempts`, {
    cause: lastError,
  });
}

async function launch(
  spec: NodeSpec,
  dir: string,
  port: number,
  busPort: number | undefined,
): Promise<LocalNode> {
  const logFile = join(dir, 'redis.log');
  writeFileSync(logFile, '');
  const confFile = join(dir, spec.sentinel ? 'sentinel.conf' : 'redis.conf');
  const common = [
    'bind 127.0.0.1',
    `dir ${q(dir)}`,
    `logfile ${q(logFile)}`,
    'loglevel warning',
    'daemonize no',
    ...(spec.tls
      ? [
          'port 0',
          `tls-port ${port}`,
          `tls-cert-file ${q(spec.tls.certFile)}`,
          `tls-key-file ${q(spec.tls.keyFile)}`,
          `tls-ca-cert-file ${q(spec.tls.caFile)}`,
          'tls-auth-clients no',
        ]
      : [`port ${port}`]),
  ];
  const serverOnly = spec.sentinel
    ? []
    : [
        'save ""',
        'appendonly no',
        'enable-debug-command local',
        // The default waits 5 s for more replicas before a diskless full sync: pure startup delay here.
        'repl-diskless-sync-delay 0',
      ];
  // A config file rather than arguments: passwords stay out of `ps`.
  writeFileSync(
    confFile,
    `${[...common, ...serverOnly, ...spec.directives({ port, busPort })].join('\n')}\n`,
    {
      mode: 0o600,
    },
  );

  const child = spawn('redis-server', spec.sentinel ? [confFile, '--sentinel'] : [confFile], {
    cwd: dir,
    detached: false,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  trackChild(child);
  const pid = child.pid;
  if (pid === undefined) {
    throw new LocalRedisStartError(`${spec.name}: could not spawn redis-server`, '', {
      cause: await spawnError,
    });
  }

  const tail = () => redactSecrets(`${stderr}${logTail(logFile)}`.trim());
  const timeoutMs = spec.startTimeoutMs ?? 15_000;
  try {
    await waitUntilServing(child, pid, port, spec, timeoutMs);
  } catch (error) {
    await killChild(child);
    const reason = error instanceof Error ? error.message : String(error);
    throw new LocalRedisStartError(`${spec.name} on 127.0.0.1:${port} did not start: ${reason}`, tail(), {
      cause: error,
    });
  }
  return makeNode(spec, child, pid, port, busPort, dir, logFile);
}

function makeNode(
  spec: NodeSpec,
  child: ChildProcess,
  pid: number,
  port: number,
  busPort: number | undefined,
  dir: string,
  logFile: string,
): LocalNode {
  const signal = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, sig);
  };
  return {
    name: spec.name,
    host: '127.0.0.1',
    port,
    pid,
    url: `${spec.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    dir,
    logFile,
    busPort,
    tls: spec.tls,
    auth: spec.auth,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    kill: () => killChild(child),
  };
}

// A FATAL CONFIG FILE ERROR echoes the offending line, which may hold a password.
function redactSecrets(text: string): string {
  return text
    .replace(/(requirepass|masterauth|auth-pass)(\s+)\S+/gi, '$1$2***')
    .replace(/(^|\s)>(?!>)\S+/g, '$1>***');
}

function logTail(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.split('\n').slice(-25).join('\n');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the port answers and the answering server is OUR child (INFO process_id): another
 * helper's redis may hold the port, and then our child dies of EADDRINUSE a moment later.
 */
async function waitUntilServing(
  child: ChildProcess,
  pid: number,
  port: number,
  spec: NodeSpec,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  // A squatter on the port may accept and never answer: stop probing as soon as our child dies.
  const exited = new Promise<ProbeAnswer>((resolve) =>
    child.once('exit', () => resolve({ kind: 'down', message: 'exited' })),
  );
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`process exited (${child.exitCode ?? child.signalCode})`);
    }
    const answer = await Promise.race([probe(port, spec), exited]);
    if (answer.kind === 'pid') {
      if (answer.pid === pid) return;
      lastProblem = `port answered by another process (pid ${answer.pid})`;
    } else if (answer.kind === 'noauth') {
      // Cannot read the pid without credentials: ours if it is still alive shortly after answering.
      await sleep(150);
      if (child.exitCode === null && child.signalCode === null) return;
    } else {
      lastProblem = answer.message;
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms (${lastProblem})`);
}

type ProbeAnswer = { kind: 'pid'; pid: number } | { kind: 'noauth' } | { kind: 'down'; message: string };

async function probe(port: number, spec: NodeSpec): Promise<ProbeAnswer> {
  const client = new Redis({
    ...adminOptions({ port, tls: spec.tls, auth: undefined }),
    connectTimeout: 1000,
    commandTimeout: 1000,
  });
  client.on('error', () => {
    // a refused connection is an expected answer while the server starts
  });
  try {
    await client.connect();
    if (spec.auth) {
      const args = spec.auth.username ? [spec.auth.username, spec.auth.password] : [spec.auth.password];
      await client.call('AUTH', ...args);
    }
    const info = await client.info('server');
    const match = /process_id:(\d+)/.exec(info);
    return match?.[1]
      ? { kind: 'pid', pid: Number(match[1]) }
      : { kind: 'down', message: 'INFO without pid' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/NOAUTH|WRONGPASS|NOPERM/.test(message)) return { kind: 'noauth' };
    return { kind: 'down', message };
  } finally {
    client.disconnect();
  }
}

/** ioredis options for the library's own short-lived admin connections (no retries, no queue). */
export function adminOptions(target: {
  port: number;
  tls: TlsFiles | undefined;
  auth: AdminAuth | undefined;
}): RedisOptions {
  return {
    host: '127.0.0.1',
    port: target.port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: 5000,
    ...(target.auth ? { username: target.auth.username, password: target.auth.password } : {}),
    ...(target.tls ? { tls: { ca: target.tls.caPem, servername: 'localhost' } } : {}),
  };
}

/** Runs `fn` with a fresh admin connection to `node`, always closing it. */
export async function withAdmin<T>(node: LocalNode, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(adminOptions(node));
  client.on('error', () => {
    // surfaced through the command promises
  });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** Polls `check` until it returns a value, or fails with `what` and the last problem seen. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = '';
  while (true) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new LocalRedisError(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastProblem ? ` (last error: ${lastProblem})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** Parses `key:value` lines of INFO into a map. */
export function parseInfo(info: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}
