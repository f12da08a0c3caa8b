// Bundles the command line and the demo into dist/ (cli.js, demo.js and the chunks they share).
// Dependencies are bundled and the output split: each command's module (`await import()` in its action)
// is a chunk of its own with the libraries only it needs, so `soakwatch --help` loads commander and
// nothing else, and `status` no AWS SDK. Minified, with source maps for stack traces.
import { chmod, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const entries = { cli: 'src/cli/main.ts', demo: 'tools/demo/main.ts' };

// The chunks' names change with their content: start from an empty dist/ so old ones do not pile up.
await rm('dist', { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  splitting: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // ioredis and the AWS SDK use require() in places; ESM bundles need a require of their own.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __soakwatchRequire } from 'node:module'; const require = __soakwatchRequire(import.meta.url);",
  },
});
await chmod('dist/cli.js', 0o755);
