import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OfflineStartError, startOffline, waitUntil } from '../support/offline.js';

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `${env:NAME}` for serverless.yml, without a template placeholder in a plain string. */
const envVar = (name: string) => `\${env:${name}}`;

describe('startOffline', () => {
  it('fails fast with the build error when a handler import cannot be resolved, and leaves no process behind', async () => {
    // osls prints esbuild's error and then hangs with esbuild alive: the harness must not wait for its
    // timeout, and must kill the whole group. The broken handler lives in the git-ignored .esbuild/.
    const dir = join(process.cwd(), `.esbuild/broken-${process.pid}`);
    const config = `serverless.broken-${process.pid}.yml`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'handler.js'),
      "import { nothing } from './nope.js';\nexport const handler = () => nothing;\n",
    );
    writeFileSync(
      join(process.cwd(), config),
      [
        'service: soakwatch',
        "frameworkVersion: '>=3'",
        'plugins: [serverless-esbuild, serverless-offline]',
        'provider: { name: aws, runtime: nodejs22.x, region: us-east-1 }',
        'custom:',
        `  esbuild: { format: esm, platform: node, target: node20, outputWorkFolder: '${envVar('SOAKWATCH_ESBUILD_DIR')}' }`,
        `  serverless-offline: { host: 127.0.0.1, httpPort: '${envVar('SOAKWATCH_HTTP_PORT')}', lambdaPort: '${envVar('SOAKWATCH_LAMBDA_PORT')}' }`,
        'functions:',
        `  broken: { handler: .esbuild/broken-${process.pid}/handler.handler }`,
        '',
      ].join('\n'),
    );
    const started = Date.now();
    try {
      const error = await startOffline({ config, startTimeoutMs: 60_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(OfflineStartError);
      const failure = error as OfflineStartError;
      expect(failure.message).toMatch(/nope\.js|Could not resolve|Compilation failed/);
      expect(Date.now() - started, 'no waiting for the start timeout').toBeLessThan(45_000);
      await waitUntil(async () => !groupAlive(failure.pid), 5_000, 'the osls process group to be gone');
    } finally {
      rmSync(join(process.cwd(), config), { force: true });
      rmSync(dir, { recursive: true, force: true });
      try {
        rmdirSync(join(process.cwd(), '.esbuild')); // only if no other run uses it
      } catch {
        // not empty or already gone
      }
    }
  }, 90_000);
});
