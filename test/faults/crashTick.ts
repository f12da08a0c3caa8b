import { appendFileSync, readFileSync } from 'node:fs';
import { configSchema } from '../../src/config/index.js';
import { openTickRuntime } from '../../src/runtime/index.js';
import { type Log, runTick } from '../../src/tick/index.js';

// One tick of one tenant in its own process, for the crash faults: run with SOAKWATCH_TEST_CRASH_AT set,
// it is SIGKILLed at that write point (src/util/crashPoint.ts). Published messages are appended to
// `<out>` as JSON lines as they go (what reached SNS before the kill); the report, if it gets that far,
// to `<out>.report`.
// argv: <config.json> <now> <tenant> <out>

const [configPath, now, tenantId, out] = process.argv.slice(2);
if (!configPath || !now || !tenantId || !out)
  throw new Error('usage: crashTick <config> <now> <tenant> <out>');
const quiet: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const config = configSchema.parse(JSON.parse(readFileSync(configPath, 'utf8')));
const runtime = await openTickRuntime(config, { log: quiet, aws: false });
try {
  const report = await runTick(
    {
      ...runtime.deps,
      publish: (m) => {
        appendFileSync(out, `${JSON.stringify(m)}\n`);
        return Promise.resolve();
      },
    },
    { now: Number(now), tenantId },
  );
  appendFileSync(`${out}.report`, JSON.stringify(report));
} finally {
  await runtime.close();
}
