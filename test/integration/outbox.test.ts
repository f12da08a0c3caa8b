import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/index.js';
import { performAction } from '../../src/release/index.js';
import { openReleaseRuntime } from '../../src/runtime/release.js';
import { openTickRuntime, runTick } from '../../src/runtime/tick.js';
import { initialSoakState } from '../../src/soak/index.js';
import { createStateStore } from '../../src/store/index.js';
import type { Delivery } from '../../src/tick/outbox.js';
import { useStandalone } from '../support/topologies.js';
import { compressedPolicy, quietLog } from '../support/unitTick.js';
import { tempFiles } from './cliHarness.js';

// The outbox: a milestone and its hook are written with the transition (casState), then delivered until
// delivered. SNS is a loopback endpoint (AWS_ENDPOINT_URL_SNS) that can be down; the state store is real.
const store = useStandalone();
const files = tempFiles();
const HOOK_TOPIC = 'arn:aws:sns:us-east-1:000000000000:scale-down';
const saved = { ...process.env };

interface Published {
  topicArn: string;
  subject: string;
}
let sns: { server: Server; down: boolean; published: Published[]; refused: number };
let configPath: string;
let config: Config;

function tenant(id: string) {
  return {
    id,
    // Nothing listens here: the ticks below sample nothing, they only deliver what is owed.
    legacy: { url: 'redis://127.0.0.1:1', heartbeat: { enabled: false } },
    target: { url: 'redis://127.0.0.1:2' },
    soak: compressedPolicy(),
    hooks: [{ id: 'scale-down', on: ['SCALE_DOWN_APPROVED'], action: { type: 'sns', topicArn: HOOK_TOPIC } }],
  };
}

beforeAll(async () => {
  const state = { down: true, published: [] as Published[], refused: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.down) {
        state.refused++;
        res.writeHead(503, { 'content-type': 'text/xml' });
        res.end(
          '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>down</Message></Error></ErrorResponse>',
        );
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      state.published.push({ topicArn: form.get('TopicArn') ?? '', subject: form.get('Subject') ?? '' });
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<PublishResponse><PublishResult><MessageId>m-${state.published.length}</MessageId></PublishResult></PublishResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  sns = Object.assign(state, { server });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // One try per publish: the outbox, not the SDK, is what retries here.
    AWS_MAX_ATTEMPTS: '1',
  });
  configPath = files.write('soakwatch.yml', {
    stateStore: { url: store().node.url },
    notifications: {
      alertTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
      releaseTopicArn: 'arn:aws:sns:us-east-1:000000000000:release',
    },
    // A short budget: a crashed deliverer's outbox lock (2 × budget, at least 2 s) expires quickly.
    sampling: { connectTimeoutMs: 200, commandTimeoutMs: 200, budgetMs: 500 },
    tenants: [tenant('acme'), tenant('beta'), tenant('gamma')],
  });
  config = loadConfig(configPath);
  // Both tenants have PASSED their soak: `approve` is next.
  const redis = new Redis(store().node.url);
  const writer = createStateStore(redis);
  for (const t of config.tenants) {
    const passed = { ...initialSoakState(t.id, t.soak, Date.now() - 60_000), state: 'PASSED', phase: 'soak' };
    await writer.casState(t.id, 0, passed);
  }
  redis.disconnect();
});

afterAll(async () => {
  process.env = saved;
  if (sns) {
    sns.server.closeAllConnections();
    await new Promise((r) => sns.server.close(r));
  }
  files.cleanup();
});

const milestones = (t: string) =>
  sns.published.filter((p) => p.topicArn.endsWith(':release') && p.subject.includes(t));
const hookMessages = () => sns.published.filter((p) => p.topicArn === HOOK_TOPIC);

async function tick(): Promise<void> {
  const rt = await openTickRuntime(config, { log: quietLog, aws: false });
  try {
    await runTick({ deps: rt.deps, metrics: { addMetric: () => undefined } }, {});
  } finally {
    await rt.close();
  }
}

async function outboxOf(id: string): Promise<Delivery[]> {
  const redis = new Redis(store().node.url);
  try {
    return await createStateStore(redis).outbox<Delivery>(id);
  } finally {
    redis.disconnect();
  }
}

describe('the outbox', () => {
  it('SNS down at the commit: the milestone and the hook go out on the next tick, exactly once', async () => {
    const rt = await openReleaseRuntime(config, { log: quietLog });
    try {
      const outcome = await performAction(rt.deps, 'acme', { action: 'approve', actor: 'rm' }, Date.now());
      expect(outcome.state).toBe('SCALE_DOWN_APPROVED');
      expect(outcome.messages).toBe(0);
      expect(outcome.hooks).toEqual([expect.objectContaining({ id: 'scale-down', status: 'failed' })]);
    } finally {
      await rt.close();
    }
    expect(sns.refused).toBeGreaterThanOrEqual(2);
    const [owed] = await outboxOf('acme');
    expect(owed).toMatchObject({ published: 0, hooksDone: false, attempts: 1 });
    // Only the error's code is kept: never the text an AWS error may carry.
    expect(owed?.lastError).toBe('publish: ServiceUnavailable');

    sns.down = false;
    await tick();
    expect(milestones('acme')).toHaveLength(1);
    expect(hookMessages()).toHaveLength(1);
    expect(await outboxOf('acme')).toEqual([]);

    // Delivered is delivered: later ticks send nothing again.
    await tick();
    expect(milestones('acme')).toHaveLength(1);
    expect(hookMessages()).toHaveLength(1);
  });

  it('a crash right after the commit: the next tick delivers the milestone and the hook, exactly once', async () => {
    const before = hookMessages().length;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(import.meta.dirname, 'outboxCrash.ts'), configPath, 'beta'],
      {
        env: process.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exit = await new Promise<{ code: number | null; signal: string | null }>((r) =>
      child.on('close', (code, signal) => r({ code, signal })),
    );
    expect(exit, stderr).toEqual({ code: null, signal: 'SIGKILL' });
    expect(milestones('beta')).toHaveLength(0);
    expect(await outboxOf('beta')).toHaveLength(1);

    // The dead process's outbox lock lasts 2 s: tick (as the schedule does) until the delivery happens.
    const deadline = Date.now() + 15_000;
    while (milestones('beta').length === 0 && Date.now() < deadline) await tick();
    expect(milestones('beta')).toHaveLength(1);
    expect(hookMessages()).toHaveLength(before + 1);
    await tick();
    expect(milestones('beta')).toHaveLength(1);
    expect(hookMessages()).toHaveLength(before + 1);
    expect(await outboxOf('beta')).toEqual([]);
  });

  it('the API (no hook permissions) publishes the milestone and leaves the hook to the next tick', async () => {
    const before = hookMessages().length;
    const rt = await openReleaseRuntime(config, { log: quietLog, deferHooks: true });
    try {
      const outcome = await performAction(rt.deps, 'gamma', { action: 'approve', actor: 'rm' }, Date.now());
      expect(outcome.messages).toBe(1);
      expect(outcome.hooks).toEqual([]);
    } finally {
      await rt.close();
    }
    expect(milestones('gamma')).toHaveLength(1);
    expect(hookMessages()).toHaveLength(before);
    expect(await outboxOf('gamma')).toEqual([
      expect.objectContaining({ published: 1, hooksDone: false, attempts: 0 }),
    ]);

    await tick();
    expect(hookMessages()).toHaveLength(before + 1);
    expect(milestones('gamma')).toHaveLength(1);
    expect(await outboxOf('gamma')).toEqual([]);
  });
});
