import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policySchema } from '../../src/config/schema.js';
import type { ClusterTopology, Replicated } from '../../tools/local/index.js';
import { type CdcFaults, CdcStandIn } from '../support/scenario/cdc.js';
import { compareAll } from '../support/scenario/compare.js';
import { breakReplicaLink } from '../support/scenario/faults.js';
import { AppLoad } from '../support/scenario/load.js';
import { compressPolicy, SCENARIO_COMPRESSION, scenarioPolicy } from '../support/scenario/policy.js';
import { SnsRecorder } from '../support/scenario/sns.js';
import {
  DB_MAP,
  entryOf,
  nodeInfo,
  onNode,
  startLegacy,
  startTarget,
  until,
} from '../support/scenario/world.js';
import '../support/topologies.js';

// The scenario harness checks itself: a scenario test is only as good as the world it builds. The
// load is what it claims, the CDC stand-in copies faithfully and plays each fault as described, the
// target looks like ElastiCache, and the SNS endpoint records what the SDK publishes.

let legacy: Replicated;
let target: ClusterTopology;
let load: AppLoad;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  [legacy, target] = await Promise.all([startLegacy(), startTarget()]);
  load = new AppLoad({ dbMap: DB_MAP });
  await load.useLegacy(legacy.primary);
  await load.seed(1_000);
});

afterAll(async () => {
  await load?.stop();
  await Promise.all([legacy?.stop(), target?.stop()]);
});

async function flushTarget(): Promise<void> {
  await Promise.all(target.masters.map((m) => onNode(m, (c) => c.flushall())));
}

const copyOf = (cdcFaults: Partial<CdcFaults> = {}) =>
  CdcStandIn.start({
    name: 'self-test',
    legacy: legacy.primary,
    target: entryOf(target),
    dbMap: DB_MAP,
    faults: cdcFaults,
  });

describe('the compressed policy', () => {
  it('is the shipped default with the sample interval and every window divided by one factor', () => {
    const defaults = policySchema.parse({});
    const p = scenarioPolicy();
    const k = SCENARIO_COMPRESSION.timeScale;

    expect(p.sampleInterval).toBe(defaults.sampleInterval / k);
    for (const phase of ['replication', 'soak'] as const) {
      expect(p[phase].criteria.map((c) => ({ ...c, window: c.window * k }))).toEqual(
        defaults[phase].criteria,
      );
    }
    expect(p.replication.readyAfter).toBe(
      defaults.replication.readyAfter / (k * SCENARIO_COMPRESSION.readyAfterScale),
    );
    expect(p.soak.duration).toBe(Math.round(defaults.soak.duration / (k * SCENARIO_COMPRESSION.soakScale)));
    expect({ ...p, sampleInterval: 0, replication: 0, soak: 0 }).toEqual({
      ...defaults,
      sampleInterval: 0,
      replication: 0,
      soak: 0,
    });
  });

  it('follows a change of the defaults', () => {
    const changed = policySchema.parse({
      minCoverage: 0.9,
      replication: { criteria: [{ id: 'x', metric: 'keyDrift', window: '10m', threshold: 7 }] },
    });

    const p = compressPolicy(changed, SCENARIO_COMPRESSION);

    expect(p.minCoverage).toBe(0.9);
    expect(p.replication.criteria).toEqual([
      expect.objectContaining({ id: 'x', threshold: 7, window: 50_000 }),
    ]);
  });
});

describe('the application load', () => {
  it('writes at least 1,000 writes a second, 30 % of the keys with a TTL, and the keyspace grows', async () => {
    const keys = async () =>
      [...(await nodeInfo(legacy.primary, 'keyspace')).values()].reduce(
        (sum, line) => sum + Number(/keys=(\d+)/.exec(line)?.[1] ?? 0),
        0,
      );
    const before = await keys();
    load.start();
    await sleep(4_000);
    await load.pause();
    const after = await keys();
    const info = [...(await nodeInfo(legacy.primary, 'keyspace')).values()];
    const expires = info.reduce((sum, line) => sum + Number(/expires=(\d+)/.exec(line)?.[1] ?? 0), 0);

    const s = load.stats();
    expect(s.opsPerSec).toBeGreaterThanOrEqual(1_000);
    expect(s.errors).toBe(0);
    expect(s.byOp.create).toBeGreaterThan(0);
    expect(s.byOp.update).toBeGreaterThan(s.byOp.create);
    expect(s.byOp.delete).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(before);
    expect(expires / after).toBeGreaterThan(0.25);
    expect(expires / after).toBeLessThan(0.35);
  });
});

describe('the CDC stand-in', () => {
  it('is a replica of the legacy primary, ACKs the offset it received, and copies every key faithfully under load', async () => {
    await flushTarget();
    const cdc = await copyOf();
    try {
      load.start();
      await sleep(3_000);
      await load.pause();
      await cdc.drained();
      const replicas = [...(await nodeInfo(legacy.primary, 'replication')).entries()].filter(([k]) =>
        /^slave\d+$/.test(k),
      );
      const diff = await compareAll({ legacy: legacy.primary, target: entryOf(target), dbMap: DB_MAP });

      expect(replicas.map(([, v]) => v)).toContainEqual(
        expect.stringMatching(
          new RegExp(`^ip=127\\.0\\.0\\.1,port=${cdc.address.split(':')[1]},state=online,offset=\\d+`),
        ),
      );
      expect(diff).toMatchObject({
        missing: 0,
        extra: 0,
        typeDiffers: 0,
        valueDiffers: 0,
        ttlPresenceDiffers: 0,
      });
      expect(diff.legacyKeys).toBeGreaterThan(3_000);
      expect(diff.targetKeys).toBe(diff.legacyKeys);
      expect(cdc.stats.errors).toBe(0);
    } finally {
      await cdc.stop();
    }
  }, 60_000);

  it('when stalled keeps receiving and ACKing (its replica offset moves) but applies nothing; a resync is a new sync_full', async () => {
    await flushTarget();
    const cdc = await copyOf();
    const writer = new Redis({ port: legacy.primary.port, disableClientInfo: true });
    const cluster = new Cluster([entryOf(target)], { redisOptions: { disableClientInfo: true } });
    try {
      cdc.setFaults({ stalled: true });
      const offsetBefore = cdc.receivedOffset;
      await writer.set('stall-probe', 'x');
      await until('the stalled CDC to receive the write', () =>
        Promise.resolve(cdc.receivedOffset > offsetBefore),
      );
      const acked = await until('the primary to see the ACK', async () => {
        const line = [...(await nodeInfo(legacy.primary, 'replication')).values()].find((v) =>
          v.startsWith(`ip=127.0.0.1,port=${cdc.address.split(':')[1]},`),
        );
        return Number(/offset=(\d+)/.exec(line ?? '')?.[1] ?? 0) >= cdc.receivedOffset;
      });
      expect(acked).toBeGreaterThan(0);
      await sleep(300);
      expect(await cluster.get('stall-probe')).toBeNull();

      cdc.setFaults({ stalled: false });
      await cdc.drained();
      expect(await cluster.get('stall-probe')).toBe('x');

      const syncFull = async () => Number((await nodeInfo(legacy.primary, 'stats')).get('sync_full') ?? 0);
      const before = await syncFull();
      await cdc.resync();
      expect(await syncFull()).toBe(before + 1);
    } finally {
      writer.disconnect();
      cluster.disconnect();
      await cdc.stop();
    }
  }, 60_000);

  it('plays its copy faults: a db never copied, 0.5 % of the keys lost, TTLs dropped, 2 % of the values changed', async () => {
    const run = async (faults: Parameters<CdcStandIn['setFaults']>[0]) => {
      await flushTarget();
      const cdc = await copyOf(faults);
      try {
        return await compareAll({ legacy: legacy.primary, target: entryOf(target), dbMap: DB_MAP });
      } finally {
        await cdc.stop();
      }
    };

    const noDb = await run({ skipDbs: [2] });
    const lost = await run({ loseFraction: 0.005 });
    const noTtl = await run({ dropTtl: true });
    const changed = await run({ alterFraction: 0.02 });

    const perDb = noDb.legacyKeys / 3;
    expect(noDb.missing).toBeGreaterThan(0.8 * perDb);
    expect(noDb.missing).toBeLessThan(1.2 * perDb);
    expect(lost.missing / lost.legacyKeys).toBeGreaterThan(0.002);
    expect(lost.missing / lost.legacyKeys).toBeLessThan(0.01);
    expect(noTtl).toMatchObject({ missing: 0, valueDiffers: 0, ttlPresenceDiffers: noTtl.legacyWithTtl });
    expect(noTtl.legacyWithTtl).toBeGreaterThan(0);
    expect(changed).toMatchObject({
      missing: 0,
      extra: 0,
      typeDiffers: 0,
      countDiffers: 0,
      ttlPresenceDiffers: 0,
    });
    expect(changed.valueDiffers / changed.legacyKeys).toBeGreaterThan(0.01);
    expect(changed.valueDiffers / changed.legacyKeys).toBeLessThan(0.03);
  }, 90_000);
});

describe('the target', () => {
  it('has 3 shards with a replica each and ElastiCache-like memory settings; a disabled replication user keeps one link down', async () => {
    const master = target.masters[1];
    if (!master) throw new Error('no second master');
    const settings = await onNode(master, async (c) => [
      ...((await c.config('GET', 'maxmemory')) as string[]),
      ...((await c.config('GET', 'maxmemory-policy')) as string[]),
    ]);

    const { replica } = await breakReplicaLink(target, master);
    await sleep(1_500);

    expect(target.masters).toHaveLength(3);
    expect(target.replicas).toHaveLength(3);
    expect(settings).toEqual(['maxmemory', String(64 * 1024 * 1024), 'maxmemory-policy', 'volatile-lru']);
    expect((await nodeInfo(replica, 'replication')).get('master_link_status')).toBe('down');
  }, 60_000);
});

describe('the SNS recorder', () => {
  it('records what the AWS SDK publishes to it, attributes included', async () => {
    const sns = await SnsRecorder.start();
    const client = new SNSClient({
      endpoint: sns.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const out = await client.send(
        new PublishCommand({
          TopicArn: 'arn:aws:sns:us-east-1:000000000000:t',
          Subject: 'hello',
          Message: 'body & more',
          MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
        }),
      );

      expect(out.MessageId).toBeTruthy();
      expect(sns.messages).toEqual([
        expect.objectContaining({
          topicArn: 'arn:aws:sns:us-east-1:000000000000:t',
          subject: 'hello',
          body: 'body & more',
          attributes: { tenant: 'acme' },
        }),
      ]);
    } finally {
      client.destroy();
      await sns.close();
    }
  });
});
