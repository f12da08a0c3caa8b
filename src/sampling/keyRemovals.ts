import type { Redis } from 'ioredis';
import {
  describeFailure,
  type InfoSections,
  infoNumber,
  parseAddress,
  parseInfo,
  type TargetHandle,
  WRITE_COMMANDS,
  withTimeout,
} from '../redis/index.js';
import type { KeyRemovalReading, NodeSample, Sample } from './types.js';

/**
 * What removes keys from a target master, read from INFO commandstats (with keyspace and stats in the
 * same reply, so every number of a reading belongs to one instant of the node). Used by the soak's
 * data guard (`targetKeysLost`): keys that left the target beyond what expiry, evictions and the
 * application's commands explain.
 *
 * A call of any command below explains at most one key: DEL/UNLINK with several keys, or a MIGRATE of
 * many, explains one (the count of keys per call is not in INFO). FLUSHDB, FLUSHALL and SWAPDB explain
 * nothing: an application does not flush production data, so what a flush removed counts as lost.
 * Commands inside scripts and MULTI blocks are counted one by one by Redis, so they explain too.
 */
export const KEY_REMOVING_COMMANDS: ReadonlySet<string> = new Set([
  'del',
  'unlink',
  'getdel',
  'getex',
  'expire',
  'pexpire',
  'expireat',
  'pexpireat',
  'rename',
  'move',
  'migrate',
  // A collection whose last element goes is deleted.
  'srem',
  'spop',
  'smove',
  'hdel',
  'hgetdel',
  'hexpire',
  'hpexpire',
  'hexpireat',
  'hpexpireat',
  'hgetex',
  'hsetex',
  'lpop',
  'rpop',
  'lrem',
  'ltrim',
  'lmpop',
  'blpop',
  'brpop',
  'blmpop',
  'lmove',
  'blmove',
  'rpoplpush',
  'brpoplpush',
  'zrem',
  'zpopmin',
  'zpopmax',
  'bzpopmin',
  'bzpopmax',
  'zmpop',
  'bzmpop',
  'zremrangebyscore',
  'zremrangebyrank',
  'zremrangebylex',
  // A STORE whose result is empty deletes the destination.
  'sinterstore',
  'sunionstore',
  'sdiffstore',
  'zinterstore',
  'zunionstore',
  'zdiffstore',
  'zrangestore',
  'georadius',
  'georadiusbymember',
  'geosearchstore',
  'sort',
  'bitop',
  'json.del',
  'json.forget',
]);

/** Commands that remove keys but are never an application's delete: what they remove is lost. */
export const FLUSH_COMMANDS: ReadonlySet<string> = new Set(['flushdb', 'flushall', 'swapdb']);

/** A reading is refreshed at least every this many samples, so the deletes it bounds stay recent. */
export const REMOVALS_REFRESH_SAMPLES = 3;

/** Turns one INFO reply (keyspace, stats, commandstats) into a reading of the node's key removals. */
export function removalReading(info: InfoSections, db: number, at: number): KeyRemovalReading | undefined {
  const expired = infoNumber(info, 'expired_keys');
  const evicted = infoNumber(info, 'evicted_keys');
  if (expired === undefined || evicted === undefined || !info.sections.has('commandstats')) return undefined;
  let removingCalls = 0;
  let flushCalls = 0;
  let writeCalls = 0;
  for (const [name, stat] of Object.entries(info.commandstats)) {
    if (KEY_REMOVING_COMMANDS.has(name)) removingCalls += stat.calls;
    if (FLUSH_COMMANDS.has(name)) flushCalls += stat.calls;
    if (WRITE_COMMANDS.has(name)) writeCalls += stat.calls;
  }
  const space = info.keyspace[db] ?? { keys: 0, expires: 0 };
  return {
    at,
    age: 0,
    keys: space.keys,
    expired,
    evicted,
    removingCalls,
    flushCalls,
    writeCalls,
  };
}

/**
 * Whether this soak sample reads the target masters' key removals: when the last reading is
 * REMOVALS_REFRESH_SAMPLES samples old (or missing), or when the masters' key total fell by more than
 * expiry and evictions explain since the previous sample (only then do deletes matter). Reading only
 * then keeps INFO commandstats — it costs about as much server time as the rest of the sample — off
 * most samples of a tenant whose keyspace grows.
 */
export function removalsDue(
  masters: readonly NodeSample[],
  previous: Sample | undefined,
  db: number,
): boolean {
  if (!previous) return true;
  let dropped = 0;
  for (const m of masters) {
    const before = previous.target.nodes.find((p) => p.address === m.address && p.ok);
    const carried = before?.removals;
    if (!carried || carried.age + 1 >= REMOVALS_REFRESH_SAMPLES) return true;
    if (!m.ok || !m.stats || !before?.stats) return true;
    const expired = (m.stats.expiredKeys ?? 0) - (before.stats.expiredKeys ?? 0);
    const evicted = m.stats.evictedKeys - before.stats.evictedKeys;
    if (expired < 0 || evicted < 0) return true;
    dropped += (before.keyspace[db]?.keys ?? 0) - (m.keyspace[db]?.keys ?? 0) - expired - evicted;
  }
  return dropped > 0;
}

/**
 * Reads the key removals of every target master (one INFO round trip each, in parallel, within
 * `budgetMs`) and sets `removals` on their node samples, stamped with one time; a node that fails
 * gets `removalsError`. Nodes not read keep the previous sample's reading, one sample older. Never
 * throws.
 */
export async function readKeyRemovals(
  target: TargetHandle,
  masters: readonly NodeSample[],
  opts: { db: number; now: () => number; budgetMs: number; due: boolean; previous: Sample | undefined },
): Promise<void> {
  // One time for the whole reading: the loss sums over masters read together.
  const at = opts.now();
  await Promise.all(
    masters.map(async (m) => {
      const carried = opts.previous?.target.nodes.find((p) => p.address === m.address)?.removals;
      const carry = () => {
        if (carried) m.removals = { ...carried, age: carried.age + 1 };
      };
      if (!opts.due || !m.ok) return carry();
      const hp = parseAddress(m.address);
      if (!hp) return carry();
      try {
        const read = async () => {
          const client = await target.node(hp);
          return removalReading(await removalsInfo(client, m.infoMode), opts.db, at);
        };
        const reading = await withTimeout(
          read(),
          Math.max(1, opts.budgetMs),
          () => new Error('no answer within the sample budget'),
        );
        if (reading) m.removals = reading;
        else {
          m.removalsError = 'INFO commandstats gave no key-removal counters';
          carry();
        }
      } catch (error) {
        m.removalsError = describeFailure(error);
        carry();
      }
    }),
  );
}

async function removalsInfo(client: Redis, mode: NodeSample['infoMode']): Promise<InfoSections> {
  const sections = ['keyspace', 'stats', 'commandstats'];
  // Servers older than 7 refuse a multi-section INFO (an error reply on the node): one per section.
  if (mode === 'per-section') {
    const pipe = client.pipeline();
    for (const s of sections) pipe.info(s);
    const replies = (await pipe.exec()) ?? [];
    const failed = replies.find(([e]) => e)?.[0];
    if (failed) throw failed;
    return parseInfo(replies.map(([, text]) => String(text)).join('\r\n'));
  }
  return parseInfo(await client.info(...sections));
}

/**
 * The soak phase's reading of key removals on the target masters, when `removalsDue` says so (or when
 * the per-prefix counter already read them in this sample: then nothing more). Never throws.
 */
export async function readSoakRemovals(
  target: TargetHandle,
  nodes: readonly NodeSample[],
  previous: Sample | undefined,
  opts: { db: number; now: () => number; budgetMs: number },
): Promise<void> {
  const masters = nodes.filter((n) => n.role === 'master');
  if (masters.length > 0 && masters.every((m) => m.removals?.age === 0)) return;
  const due = removalsDue(masters, previous, opts.db);
  await readKeyRemovals(target, masters, { ...opts, due, previous });
}
