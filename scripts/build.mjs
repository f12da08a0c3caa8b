// Bundles the command line (src/cli) and the demo (tools/demo) into dist/; dependencies stay in node_modules.
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
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  banner: { js: '#!/usr/bin/env node' },
});
await chmod('dist/cli.js', 0o755);
