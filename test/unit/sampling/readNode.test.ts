import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../../src/redis/index.js';
import { parseClientList, toNodeSample } from '../../../src/sampling/index.js';

describe('toNodeSample', () => {
  it('reads a replica: its master, link status and offset', () => {
    const info = parseInfo(
      'role:slave\nmaster_host:10.0.0.1\nmaster_port:6379\nmaster_link_status:down\nmaster_replid:abc\nmaster_repl_offset:42\nused_memory:10\nmaxmemory:100',
    );

    const node = toNodeSample(info, 'target', '10.0.0.2:6379', 1);

    expect(node.role).toBe('replica');
    expect(node.replication).toEqual({
      replid: 'abc',
      offset: 42,
      replicas: [],
      masterAddress: '10.0.0.1:6379',
      linkUp: false,
    });
    expect(node.memory).toMatchObject({ used: 10, maxmemory: 100 });
  });

  it('counts ACL denials from acl_access_denied_* when the server has them, else NOPERM and WRONGPASS', () => {
    const old = toNodeSample(
      parseInfo('total_commands_processed:5\nerrorstat_NOPERM:count=2\nerrorstat_WRONGPASS:count=1'),
      'target',
      'a:1',
      0,
    );
    const recent = toNodeSample(
      parseInfo(
        'total_commands_processed:5\nacl_access_denied_auth:4\nacl_access_denied_cmd:1\nerrorstat_NOPERM:count=1',
      ),
      'target',
      'a:1',
      0,
    );

    expect(old.stats?.aclDenied).toBe(3);
    expect(recent.stats?.aclDenied).toBe(5);
  });

  it('leaves groups out when their fields are missing, instead of zeros', () => {
    const node = toNodeSample(parseInfo('# Keyspace\n'), 'legacy', 'a:1', 0);

    expect(node.memory).toBeUndefined();
    expect(node.stats).toBeUndefined();
    expect(node.replication).toBeUndefined();
    expect(node.role).toBe('unknown');
  });
});

describe('parseClientList', () => {
  it('reads name, address, library, flags and marks soakwatch connections', () => {
    const text = [
      'id=3 addr=10.3.0.1:5000 laddr=10.0.0.1:6379 fd=8 name=orders age=9 idle=0 flags=N db=0 cmd=get user=default lib-name=ioredis lib-ver=5.4',
      'id=4 addr=10.5.0.1:5001 fd=9 name=soakwatch flags=N cmd=client|list',
      'garbage',
    ].join('\n');

    expect(parseClientList(text)).toEqual([
      {
        name: 'orders',
        address: '10.3.0.1:5000',
        lib: 'ioredis@5.4',
        cmd: 'get',
        flags: 'N',
        isSoakwatch: false,
      },
      {
        name: 'soakwatch',
        address: '10.5.0.1:5001',
        lib: '',
        cmd: 'client|list',
        flags: 'N',
        isSoakwatch: true,
      },
    ]);
  });
});
