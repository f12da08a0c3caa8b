// Bundles the command line (src/cli) and the demo (tools/demo) into dist/. Their dependencies are bundled
// too: a process that starts for one command pays for resolving and reading every file it imports, and the
// AWS SDK alone is hundreds of files in node_modules (bench/cold-start.bench.ts times `--help` and `status`).
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

const entries = { cli: 'src/cli/main.ts', demo: 'tools/demo/main.ts' };

await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // ioredis and the AWS SDK use require() in places; ESM bundles need a require of their own.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
await chmod('dist/cli.js', 0o755);
