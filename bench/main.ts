// All benchmarks, each against a baseline measured in the same run: `npm run bench` (full), `-- --smoke` (CI).
import { runConsistencyBench } from './consistency.bench.js';
import { runJudgeBench } from './judge.bench.js';

const smoke = process.argv.includes('--smoke');
const keysArg = process.argv.indexOf('--keys');
const keys = keysArg >= 0 ? Number(process.argv[keysArg + 1]) : smoke ? 50_000 : 1_000_000;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const f1 = (n: number) => n.toFixed(1);
console.log(`soakwatch benchmarks (${smoke ? 'smoke' : 'full'}, ${keys} keys)\n`);

const judge = runJudgeBench({ smoke });
console.log('judge: one tick after N stored samples');
console.log(`  after ${judge.baselineSamples} samples (baseline): ${f1(judge.baselineUs)} µs`);
console.log(`  after ${judge.longSamples} samples:            ${f1(judge.longUs)} µs`);
console.log(`  ratio ${judge.ratio.toFixed(2)}× (floor: ≤ 1.5×)\n`);

const c = await runConsistencyBench({ smoke, keys });
console.log('consistency: spot-check vs a naive one-key-at-a-time compare, same data, same run');
console.log(JSON.stringify(c, null, 2));

if (judge.ratio > 1.5) {
  console.log('FAIL: judge tick cost grows with the soak length');
  process.exitCode = 1;
}
