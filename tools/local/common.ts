import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRedisError } from './errors.js';
import { type AdminAuth, type LocalNode, q } from './node.js';
import { trackDir, trackTopology, untrackDir, untrackTopology } from './registry.js';

/** A fresh temp dir for one topology, deleted at stop (or at process exit). */
export function makeRoot(kind: string): string {
  const root = mkdtempSync(join(tmpdir(), `soakwatch-${kind}-`));
  trackDir(root);
  return root;
}

/** Directives for `config`: values are written as given, an empty value becomes `""`. */
export function configDirectives(config: Record<string, string> | undefined): string[] {
  return Object.entries(config ?? {}).map(([key, value]) => {
    if (!/^[a-z][a-z0-9-]*$/i.test(key)) throw new LocalRedisError(`config: invalid directive name "${key}"`);
    return `${key} ${value === '' ? '""' : value}`;
  });
}

export interface AuthSetup {
  directives: string[];
  /** How the library authenticates its own admin connections. */
  admin: AdminAuth | undefined;
}

/**
 * requirepass / ACL file. With an ACL file the password goes in the file too: Redis reloads users
 * from the file and would otherwise drop it.
 */
export function authDirectives(
  root: string,
  password: string | undefined,
  aclUsers: string[] | undefined,
): AuthSetup {
  if (!aclUsers || aclUsers.length === 0) {
    return password
      ? { directives: [`requirepass ${q(password)}`], admin: { password } }
      : { directives: [], admin: undefined };
  }
  const lines = [...aclUsers];
  const definesDefault = lines.some((l) => /^user\s+default\s/.test(l.trim()));
  if (password && !definesDefault) lines.unshift(`user default on >${password} ~* &* +@all`);
  const aclFile = join(root, 'users.acl');
  writeFileSync(aclFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { directives: [`aclfile ${q(aclFile)}`], admin: adminFromAcl(lines, password) };
}

// The library needs a user that may run INFO/CLUSTER/REPLICAOF: the default user when it has the
// password, else the first enabled user with a password and +@all.
function adminFromAcl(lines: string[], password: string | undefined): AdminAuth | undefined {
  const parsed = lines.map((l) => l.trim().split(/\s+/));
  const def = parsed.find((t) => t[0] === 'user' && t[1] === 'default');
  if (!def) return password ? { password } : undefined;
  if (def.includes('nopass') && def.includes('on')) return undefined;
  const defPw = def.find((t) => t.startsWith('>'))?.slice(1);
  if (def.includes('on') && defPw) return { password: defPw };
  for (const t of parsed) {
    const pw = t.find((x) => x.startsWith('>'))?.slice(1);
    if (t[0] === 'user' && t[1] && t.includes('on') && pw && t.includes('+@all')) {
      return { username: t[1], password: pw };
    }
  }
  return undefined;
}

/** Builds the stop() of a topology: kill every node, delete the temp dir; idempotent. */
export function topologyStopper(root: string, nodes: () => LocalNode[]): { stop(): Promise<void> } {
  let stopped: Promise<void> | undefined;
  const handle = {
    stop(): Promise<void> {
      stopped ??= (async () => {
        untrackTopology(handle);
        await Promise.allSettled(nodes().map((n) => n.kill()));
        rmSync(root, { recursive: true, force: true });
        untrackDir(root);
      })();
      return stopped;
    },
  };
  trackTopology(handle);
  return handle;
}
