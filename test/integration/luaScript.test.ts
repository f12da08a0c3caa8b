import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LuaScript } from '../../src/redis/index.js';
import { useStandalone } from '../support/topologies.js';

const server = useStandalone();
let observer: Redis;

const connect = () => new Redis({ port: server().node.port, disableClientInfo: true });

async function errorReplies(): Promise<string> {
  const stats = await observer.info('errorstats');
  return stats
    .split('\r\n')
    .filter((l) => l.startsWith('errorstat_'))
    .join(' ');
}

beforeAll(() => {
  observer = connect();
});
afterAll(() => observer.disconnect());

describe('LuaScript', () => {
  it('runs on a fresh connection and on a server that already knows it without any error reply', async () => {
    const script = new LuaScript("return 'one:' .. ARGV[1]");
    const first = connect();
    const second = connect();
    try {
      const before = await errorReplies();

      const replies = [
        await script.call(first, ['a']),
        await script.call(first, ['b']),
        await script.call(second, ['c']),
      ];

      expect(replies).toEqual(['one:a', 'one:b', 'one:c']);
      expect(await errorReplies()).toBe(before);
    } finally {
      first.disconnect();
      second.disconnect();
    }
  });

  it('still runs after SCRIPT FLUSH emptied the server cache behind the connection', async () => {
    const script = new LuaScript("return 'two:' .. ARGV[1]");
    const client = connect();
    try {
      await script.call(client, ['a']);
      await observer.script('FLUSH');

      const reply = await script.callBuffer(client, ['b']);

      expect(Buffer.isBuffer(reply) ? reply.toString() : reply).toBe('two:b');
    } finally {
      client.disconnect();
    }
  });
});
