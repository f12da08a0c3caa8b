import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { freePort } from '../../tools/local/index.js';

/*
 * `serverless offline` (osls + serverless-esbuild + serverless-offline-sns + serverless-offline) started
 * from a test on free loopback ports, and a local SNS subscriber.
 *
 * Teardown timeline (why the process group): osls → esbuild (watch) and worker threads. A failing
 * start may leave osls waiting forever with esbuild alive, so osls runs DETACHED as the leader of its
 * own process group; stop() sends SIGINT to the whole group (graceful: offline closes its servers), then
 * SIGKILL after a grace period. A process 'exit' hook SIGKILLs the group if a test run dies first.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OSLS = resolve(REPO, 'node_modules/osls/bin/serverless.js');
/** serverless-offline-sns uses this account id in the ARNs of the topics it emulates. */
export const OFFLINE_ACCOUNT_ID = '123456789012';
const SERVICE = 'soakwatch';
const FATAL = /^Environment: .*osls \d|^✘ \[ERROR\]|Build failed with/m;
const DUMMY_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface OfflineOptions {
  /** Extra environment for osls (and through serverless.yml `${env:…}` for the handlers). */
  env?: Record<string, string>;
  stage?: string;
  /** Serverless config file relative to the repo (default: SOAKWATCH_SLS_CONFIG, else serverless.yml). */
  config?: string;
  /** Give up starting after this long (default 90 s: esbuild on a busy two-core machine). */
  startTimeoutMs?: number;
}

export interface InvokeResult<T = unknown> {
  statusCode: number;
  /** The handler's return value (or the error payload when `functionError` is set). */
  payload: T;
  /** Set when the handler threw ("Unhandled"). */
  functionError?: string;
}

export interface Offline {
  /** http://127.0.0.1:<port> of the HTTP API (no stage prefix). */
  httpUrl: string;
  /** Lambda Invoke API endpoint (AWS_ENDPOINT_URL_LAMBDA). */
  lambdaEndpoint: string;
  /** Local SNS endpoint (AWS_ENDPOINT_URL_SNS). */
  snsEndpoint: string;
  region: string;
  stage: string;
  /** How long start took, for the report. */
  startupMs: number;
  /** PID of osls, the leader of the process group stop() kills. */
  pid: number;
  /** Every port the offline run listens on (HTTP, Invoke API, SNS, websocket, ALB). */
  ports: number[];
  /** `soakwatch-<stage>-<short>`: the Invoke API wants the full name. */
  functionName(short: string): string;
  /** The local ARN of a topic serverless.yml creates (`alerts`, `release`, `elasticache-events`). */
  topicArn(short: string): string;
  /** Invokes a function through the Lambda Invoke API (RequestResponse). */
  invoke<T = unknown>(short: string, payload: unknown, timeoutMs?: number): Promise<InvokeResult<T>>;
  /** What osls printed lately (handler logs included), for failure messages: only the tail is kept. */
  logs(): string;
  /**
   * Calls `listener` with every chunk osls prints from now on; returns the unsubscribe. For readers of
   * more output than `logs()` keeps (a round of hundreds of invocations prints megabytes).
   */
  onOutput(listener: (chunk: string) => void): () => void;
  stop(): Promise<void>;
}

/** Starts `serverless offline` with local SNS on free ports and waits until the HTTP server is ready. */
export async function startOffline(options: OfflineOptions = {}): Promise<Offline> {
  const stage = options.stage ?? 'dev';
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const [httpPort, lambdaPort, snsPort, websocketPort, albPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const lambdaEndpoint = `http://127.0.0.1:${lambdaPort}`;
  const snsEndpoint = `http://127.0.0.1:${snsPort}`;
  // osls exits on SIGINT without removing its bundles: each run builds into its own folder, deleted on stop.
  const buildDir = `.esbuild/offline-${httpPort}`;
  const removeBuildDir = () => {
    rmSync(resolve(REPO, buildDir), { recursive: true, force: true });
    try {
      rmdirSync(resolve(REPO, '.esbuild')); // only when no other run is using it
    } catch {
      // not empty, or already gone
    }
  };
  const topicArn = (short: string) =>
    `arn:aws:sns:${region}:${OFFLINE_ACCOUNT_ID}:${SERVICE}-${stage}-${short}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Handlers get every AWS_* variable of this process: their SDK clients talk to the local emulators.
    AWS_ENDPOINT_URL_SNS: snsEndpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambdaEndpoint,
    SOAKWATCH_HTTP_PORT: String(httpPort),
    SOAKWATCH_LAMBDA_PORT: String(lambdaPort),
    SOAKWATCH_SNS_PORT: String(snsPort),
    SOAKWATCH_WEBSOCKET_PORT: String(websocketPort),
    SOAKWATCH_ALB_PORT: String(albPort),
    // Tests invoke the tick themselves; the wall-clock schedule would add ticks at random moments.
    SOAKWATCH_SCHEDULE_ENABLED: 'false',
    SOAKWATCH_ESBUILD_DIR: buildDir,
    // Others may edit src/ while a test runs: a rebuild mid-invocation would drop it (see serverless.yml).
    SOAKWATCH_WATCH: 'off',
    SOAKWATCH_ALERT_TOPIC_ARN: topicArn('alerts'),
    SOAKWATCH_RELEASE_TOPIC_ARN: topicArn('release'),
    // Captured, shown only when something fails.
    POWERTOOLS_LOG_LEVEL: 'INFO',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    ...options.env,
  };

  const args = [OSLS, 'offline', 'start', '--stage', stage];
  const config = options.config ?? process.env.SOAKWATCH_SLS_CONFIG;
  if (config) args.push('--config', config);
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const group = new ProcessGroup(child);

  let output = '';
  const listeners = new Set<(chunk: string) => void>();
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    for (const listener of listeners) listener(text);
    output += text;
    // Keep the tail: a long test produces a lot of handler logs.
    if (output.length > 400_000) output = output.slice(-200_000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  try {
    await waitUntil(
      async () => {
        if (group.exited) throw new Error(`osls exited (code ${String(child.exitCode)}) before it was ready`);
        // osls prints its error block (ending with "Environment: …, osls x.y.z") and may then hang with
        // esbuild alive instead of exiting: fail now rather than at the timeout.
        if (FATAL.test(output)) throw new Error('osls failed to start');
        return /Server ready:/.test(output) && (await portOpen(httpPort)) && (await portOpen(lambdaPort));
      },
      options.startTimeoutMs ?? 90_000,
      'serverless offline to be ready',
    );
  } catch (error) {
    await group.stop();
    removeBuildDir();
    throw new OfflineStartError((error as Error).message, child.pid ?? 0, output, { cause: error });
  }
  const startupMs = Date.now() - started;

  const lambda = new LambdaClient({
    region,
    endpoint: lambdaEndpoint,
    credentials: DUMMY_CREDENTIALS,
    maxAttempts: 1,
  });
  const functionName = (short: string) => `${SERVICE}-${stage}-${short}`;

  return {
    httpUrl,
    lambdaEndpoint,
    snsEndpoint,
    region,
    stage,
    startupMs,
    pid: child.pid ?? 0,
    ports: [httpPort, lambdaPort, snsPort, websocketPort, albPort],
    functionName,
    topicArn,
    async invoke<T>(short: string, payload: unknown, timeoutMs = 60_000): Promise<InvokeResult<T>> {
      const response = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName(short),
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(payload ?? {})),
        }),
        { abortSignal: AbortSignal.timeout(timeoutMs) },
      );
      const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
      const result: InvokeResult<T> = {
        statusCode: response.StatusCode ?? 0,
        payload: (text ? JSON.parse(text) : undefined) as T,
      };
      if (response.FunctionError) result.functionError = response.FunctionError;
      return result;
    },
    logs: () => output,
    onOutput(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      lambda.destroy();
      await group.stop();
      removeBuildDir();
    },
  };
}

/** serverless offline did not become ready; the process group is already stopped. */
export class OfflineStartError extends Error {
  constructor(
    reason: string,
    /** PID (and process group id) of the osls that failed. */
    readonly pid: number,
    /** Everything osls printed. */
    readonly output: string,
    options?: ErrorOptions,
  ) {
    super(`${reason}\n--- osls output (tail) ---\n${output.slice(-8_000)}`, options);
    this.name = 'OfflineStartError';
  }
}

/** A detached child and its process group: graceful SIGINT, then SIGKILL; also on process exit. */
class ProcessGroup {
  exited = false;
  private readonly exitHook = () => this.signal('SIGKILL');

  constructor(private readonly child: ChildProcess) {
    child.once('exit', () => {
      this.exited = true;
    });
    process.once('exit', this.exitHook);
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      // Negative pid: the whole group (osls, esbuild, anything they spawned).
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  private stopping: Promise<void> | undefined;

  /** Idempotent: a second call waits for the first. */
  stop(graceMs = 5_000): Promise<void> {
    this.stopping ??= this.doStop(graceMs);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    process.removeListener('exit', this.exitHook);
    this.signal('SIGINT');
    const exited = this.exited ? Promise.resolve() : once(this.child, 'exit').then(() => undefined);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    await Promise.race([exited, timer]);
    // Even after osls exits, its children (esbuild) may linger in the group: always finish with SIGKILL.
    this.signal('SIGKILL');
    await exited;
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('error', () => resolvePort(false));
  });
}

/** Polls `check` until it returns true; throws `timed out waiting for <what>` after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An SNS notification as delivered to an http subscriber. */
export interface SnsNotification {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  /** The published message (soakwatch publishes JSON; parse it yourself). */
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export interface SnsSubscriber {
  /** The http endpoint SNS delivers to. */
  url: string;
  /** Everything received so far, in order. */
  messages: SnsNotification[];
  /** Resolves with the first (already received or future) message matching `predicate`. */
  waitForMessage(predicate: (m: SnsNotification) => boolean, timeoutMs?: number): Promise<SnsNotification>;
  stop(): Promise<void>;
}

/** A tiny http server on 127.0.0.1 subscribed (protocol http) to `topicArn` on the local SNS. */
export async function startSnsSubscriber(opts: {
  snsEndpoint: string;
  topicArn: string;
  region?: string;
}): Promise<SnsSubscriber> {
  const messages: SnsNotification[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      try {
        const parsed = JSON.parse(body) as SnsNotification;
        if (parsed.Type === 'Notification') messages.push(parsed);
      } catch {
        // Not an SNS envelope: ignore (the local SNS sends no confirmation requests).
      }
      res.writeHead(200).end();
      for (const wake of waiters) wake();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}/`;

  const sns = new SNSClient({
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    endpoint: opts.snsEndpoint,
    credentials: DUMMY_CREDENTIALS,
    maxAttempts: 1,
  });
  let stopping: Promise<void> | undefined;
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({ TopicArn: opts.topicArn, Protocol: 'http', Endpoint: url }),
  );

  return {
    url,
    messages,
    waitForMessage(predicate, timeoutMs = 30_000) {
      return new Promise((resolveMessage, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolveMessage(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching SNS message on ${opts.topicArn} within ${timeoutMs} ms; received ${messages.length}: ${messages
                .map((m) => m.Message.slice(0, 300))
                .join(' | ')}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    stop() {
      stopping ??= stopSubscriber();
      return stopping;
    },
  };

  async function stopSubscriber(): Promise<void> {
    if (SubscriptionArn)
      await sns.send(new UnsubscribeCommand({ SubscriptionArn })).catch(() => {
        // The local SNS may already be gone (stopped first): nothing left to unsubscribe from.
      });
    sns.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
