// Run by outbox.test.ts in a child process: a release manager's `approve` whose process dies right after
// the commit, at its first publish (SIGKILL: no finally, no flush), as a Lambda timing out there would.
import { loadConfig } from '../../src/config/index.js';
import { performAction } from '../../src/release/index.js';
import { openReleaseRuntime } from '../../src/runtime/release.js';

const [configPath, tenant] = process.argv.slice(2);
const log = { debug() {}, info() {}, warn() {}, error() {} };
const rt = await openReleaseRuntime(loadConfig(configPath ?? ''), { log });
const deps = {
  ...rt.deps,
  publish: async () => {
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  },
};
await performAction(deps, tenant ?? '', { action: 'approve', actor: 'rm' }, Date.now());
// Never reached: the process is killed at the first publish.
process.exit(3);
