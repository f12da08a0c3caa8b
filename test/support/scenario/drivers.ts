import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { type Config, configSchema } from '../../../src/config/index.js';
import { type ActionInput, performAction } from '../../../src/release/index.js';
import { openTickRuntime, type TickRuntime } from '../../../src/runtime/index.js';
import { createStateStore, type StateStore } from '../../../src/store/index.js';
import { type Log, runTick, type TenantTickReport, type TickDeps } from '../../../src/tick/index.js';
import { runCli } from '../../integration/cliHarness.js';
import type { RecordedMessage, SnsRecorder } from './sns.js';

/**
 * Two ways to run soakwatch's tick, as production would: in-process (one long-lived container with
 * warm connections: the real tick through src/runtime's `openTickRuntime`, SNS collected) or
 * a fresh `node cli.js tick --tenant … --json` process per tick (cold connections every time; SNS
 * through the AWS SDK to a loopback recorder). Both judge at the wall clock: `now` is not passed.
 */
export interface DriverTick {
  startedAt: number;
  endedAt: number;
  /** The tenant's part of the tick report (the CLI prints it as JSON). */
  report?: TenantTickReport;
  error?: string;
}

export interface TickDriver {
  readonly kind: 'in-process' | 'cli';
  tick(tenantId: string): Promise<DriverTick>;
  /** A release manager's action (cutover, approve…), judged at the wall clock. */
  act(tenantId: string, input: ActionInput): Promise<void>;
  /** Everything published, in order. */
  readonly messages: RecordedMessage[];
  close(): Promise<void>;
}

/** The raw config (as a user writes it) parses into both drivers' config. */
export type ConfigInput = Record<string, unknown>;

const quietLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export class InProcessDriver implements TickDriver {
  readonly kind = 'in-process';
  private constructor(
    readonly config: Config,
    private readonly runtime: TickRuntime,
    private readonly deps: TickDeps,
    readonly messages: RecordedMessage[],
  ) {}

  static async open(input: ConfigInput): Promise<InProcessDriver> {
    const config = configSchema.parse(input);
    const runtime = await openTickRuntime(config, { log: quietLog, aws: false });
    const messages: RecordedMessage[] = [];
    const deps: TickDeps = {
      ...runtime.deps,
      publish: (m) => {
        messages.push({
          receivedAt: Date.now(),
          topicArn: m.topicArn,
          subject: m.subject,
          body: m.body,
          attributes: { ...m.attributes },
        });
        return Promise.resolve();
      },
    };
    return new InProcessDriver(config, runtime, deps, messages);
  }

  async tick(tenantId: string): Promise<DriverTick> {
    const startedAt = Date.now();
    try {
      const report = await runTick(this.deps, { now: startedAt, tenantId });
      const tenant = report.tenants[0];
      return {
        startedAt,
        endedAt: Date.now(),
        ...(tenant ? { report: tenant } : { error: 'no tenant in the report' }),
      };
    } catch (error) {
      return {
        startedAt,
        endedAt: Date.now(),
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  async act(tenantId: string, input: ActionInput): Promise<void> {
    await performAction(this.deps, tenantId, input, Date.now());
  }

  close(): Promise<void> {
    return this.runtime.close();
  }
}

export class CliDriver implements TickDriver {
  readonly kind = 'cli';
  private constructor(
    private readonly cli: string,
    private readonly configPath: string,
    private readonly sns: SnsRecorder,
  ) {}

  /** `write(name, content)` stores the YAML config where the processes read it. */
  static open(
    cli: string,
    input: ConfigInput,
    sns: SnsRecorder,
    write: (name: string, content: string) => string,
  ): CliDriver {
    configSchema.parse(input); // fail here, with the zod error, rather than in every process
    return new CliDriver(cli, write('soakwatch.config.yml', stringify(input)), sns);
  }

  get messages(): RecordedMessage[] {
    return this.sns.messages;
  }

  private env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_SNS: this.sns.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_MAX_ATTEMPTS: '1',
    };
  }

  async tick(tenantId: string): Promise<DriverTick> {
    const startedAt = Date.now();
    try {
      const run = await runCli(
        this.cli,
        ['--config', this.configPath, 'tick', '--tenant', tenantId, '--json'],
        {
          env: this.env(),
          timeoutMs: 60_000,
        },
      );
      const endedAt = Date.now();
      try {
        const report = JSON.parse(run.stdout) as { tenants: TenantTickReport[] };
        const tenant = report.tenants[0];
        return {
          startedAt,
          endedAt,
          ...(tenant ? { report: tenant } : { error: 'no tenant in the report' }),
        };
      } catch {
        return {
          startedAt,
          endedAt,
          error: `exit ${run.code}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`,
        };
      }
    } catch (error) {
      return {
        startedAt,
        endedAt: Date.now(),
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  async act(tenantId: string, input: ActionInput): Promise<void> {
    const run = await runCli(
      this.cli,
      [
        '--config',
        this.configPath,
        input.action,
        '--tenant',
        tenantId,
        '--actor',
        input.actor,
        ...(input.reason ? ['--reason', input.reason] : []),
        ...(input.force ? ['--force'] : []),
      ],
      { env: this.env(), timeoutMs: 30_000 },
    );
    if (run.code !== 0)
      throw new Error(`soakwatch ${input.action} failed (exit ${run.code}): ${run.stderr.trim()}`);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** What the store holds of a tick's sample (read after the tick, by the harness's own connection). */
export interface StoredSample {
  at: number;
  derived: Record<string, number | null>;
  notes?: Record<string, string>;
  since?: number | null;
  complete: boolean;
  durationMs: number;
}

/** Reads the latest sample of a tenant from the state store. */
export class SampleReader {
  private constructor(
    private readonly redis: Redis,
    private readonly store: StateStore,
  ) {}

  static async open(url: string, keyPrefix: string): Promise<SampleReader> {
    const redis = new Redis(url, {
      lazyConnect: true,
      disableClientInfo: true,
      connectionName: 'scenario-reader',
    });
    redis.on('error', () => undefined);
    await redis.connect();
    return new SampleReader(redis, createStateStore(redis, { keyPrefix }));
  }

  latest(tenant: string): Promise<StoredSample | undefined> {
    return this.store.latestSample<StoredSample>(tenant);
  }

  close(): void {
    this.redis.disconnect();
  }
}
