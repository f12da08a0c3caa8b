import { authDirectives, configDirectives, makeRoot, topologyStopper } from './common.js';
import { type LocalNode, startNode } from './node.js';
import { generateTls } from './tls.js';
import type { Standalone, StandaloneOptions } from './types.js';

/** Starts one redis-server (optionally TLS-only, password, ACL users) on a free loopback port. */
export async function startStandalone(opts: StandaloneOptions = {}): Promise<Standalone> {
  const root = makeRoot('standalone');
  const nodes: LocalNode[] = [];
  const stopper = topologyStopper(root, () => nodes);
  try {
    const tls = opts.tls ? await generateTls(root) : undefined;
    const auth = authDirectives(root, opts.password, opts.aclUsers);
    const extra = configDirectives(opts.config);
    const node = await startNode({
      name: 'standalone',
      root,
      tls,
      auth: auth.admin,
      directives: () => [...auth.directives, ...extra],
    });
    nodes.push(node);
    return {
      node,
      ...(tls ? { tls: { caPem: tls.caPem, caFile: tls.caFile } } : {}),
      stop: () => stopper.stop(),
    };
  } catch (error) {
    await stopper.stop();
    throw error;
  }
}
