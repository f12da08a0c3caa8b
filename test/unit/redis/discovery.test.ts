import { describe, expect, it } from 'vitest';
import {
  parseClusterNodes,
  parseClusterShards,
  respLength,
  TrafficLedger,
} from '../../../src/redis/index.js';

describe('parseClusterShards', () => {
  const reply = [
    [
      'slots',
      [0, 5460],
      'nodes',
      [
        [
          'id',
          'a',
          'port',
          7000,
          'tls-port',
          7100,
          'ip',
          '10.0.0.1',
          'endpoint',
          'node-a.example',
          'role',
          'master',
          'health',
          'online',
        ],
        ['id', 'b', 'port', 7001, 'ip', '10.0.0.2', 'endpoint', '?', 'role', 'replica', 'health', 'fail'],
      ],
    ],
  ];

  it('lists masters and replicas with their health, on the TLS port when asked', () => {
    expect(parseClusterShards(reply, true)).toEqual([
      {
        host: 'node-a.example',
        port: 7100,
        address: 'node-a.example:7100',
        role: 'master',
        health: 'online',
      },
      { host: '10.0.0.2', port: 7001, address: '10.0.0.2:7001', role: 'replica', health: 'fail' },
    ]);
    expect(parseClusterShards(reply, false)[0]?.port).toBe(7000);
  });

  it('leaves out a failed master of a shard without slots (its replica took over), keeps a failed node that serves slots', () => {
    const afterFailover = [
      [
        'slots',
        [0, 5460],
        'nodes',
        [['id', 'n', 'port', 7002, 'ip', '10.0.0.3', 'role', 'master', 'health', 'online']],
      ],
      [
        'slots',
        [],
        'nodes',
        [['id', 'o', 'port', 7000, 'ip', '10.0.0.1', 'role', 'master', 'health', 'fail']],
      ],
      [
        'slots',
        [5461, 16383],
        'nodes',
        [['id', 'p', 'port', 7004, 'ip', '10.0.0.4', 'role', 'master', 'health', 'fail']],
      ],
      [
        'slots',
        [],
        'nodes',
        [['id', 'q', 'port', 7005, 'ip', '10.0.0.5', 'role', 'master', 'health', 'online']],
      ],
    ];

    expect(parseClusterShards(afterFailover, false).map((n) => `${n.address} ${n.health}`)).toEqual([
      '10.0.0.3:7002 online',
      '10.0.0.4:7004 fail',
      '10.0.0.5:7005 online',
    ]);
  });

  it('answers an empty list for a reply of another shape', () => {
    expect(parseClusterShards('ERR', false)).toEqual([]);
    expect(parseClusterShards([['nodes', 'x']], false)).toEqual([]);
  });
});

describe('parseClusterNodes', () => {
  it('reads addresses, host names, roles and failure flags, skipping nodes without an address', () => {
    const text = [
      'a1 10.0.0.1:7000@17000,node-a.example myself,master - 0 0 1 connected 0-5460',
      'b2 10.0.0.2:7001@17001 slave,fail a1 0 0 1 disconnected',
      'c3 :0@0 master,noaddr - 0 0 0 disconnected',
    ].join('\n');

    expect(parseClusterNodes(text)).toEqual([
      {
        host: 'node-a.example',
        port: 7000,
        address: 'node-a.example:7000',
        role: 'master',
        health: 'online',
      },
      { host: '10.0.0.2', port: 7001, address: '10.0.0.2:7001', role: 'replica', health: 'fail' },
    ]);
  });
});

describe('parseClusterNodes after a failover', () => {
  it('leaves out a failed master without slots, keeps a failed master that still owns slots', () => {
    const text = [
      'n1 10.0.0.3:7002@17002 master - 0 0 7 connected 0-5460',
      'o1 10.0.0.1:7000@17000 master,fail - 0 0 1 disconnected',
      'p1 10.0.0.4:7004@17004 master,fail - 0 0 2 disconnected 5461-16383',
    ].join('\n');

    expect(parseClusterNodes(text).map((n) => `${n.address} ${n.health}`)).toEqual([
      '10.0.0.3:7002 online',
      '10.0.0.4:7004 fail',
    ]);
  });
});

describe('TrafficLedger', () => {
  it('counts commands per node by commandstats name, and the RESP bytes of writes', () => {
    const ledger = new TrafficLedger();

    ledger.record('n1:1', 'info', ['keyspace']);
    ledger.record('n1:1', 'client', ['LIST']);
    ledger.record('n1:1', 'set', ['k', 'v']);
    ledger.record('n2:1', 'get', ['k']);

    expect(ledger.snapshot('n1:1')).toMatchObject({
      commands: 3,
      byCommand: { info: 1, 'client|list': 1, set: 1 },
      writeBytes: respLength('set', ['k', 'v']),
    });
    expect(ledger.snapshot('n3:1').commands).toBe(0);
  });

  it('measures a command as the replication stream carries it', () => {
    // *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n
    expect(respLength('SET', ['k', 'vv'])).toBe(4 + 9 + 7 + 8);
  });
});
