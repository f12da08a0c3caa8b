// All benchmarks, each against a baseline measured in the same run: `npm run bench` (full), `-- --smoke` (CI).
import { printColdStart, runColdStartBench } from './cold-start.bench.js';
import { runConsistencyBench } from './consistency.bench.js';
import { runJudgeBench } from './judge.bench.js';
import { printSched, runSampleBench } from './sample.bench.js';

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

const s = await runSampleBench({ smoke, keys });
console.log(`sample: whole sample of legacy (1+1) and target (3+3), ${s.keys} keys, ${s.samples} samples`);
console.log(`  p50 ${s.sampleMs.p50.toFixed(3)} ms, p99 ${s.sampleMs.p99.toFixed(3)} ms (floor: p50 ≤ 1 ms)`);
console.log(
  `  baseline PING round trip, same run: p50 ${s.pingMs.p50.toFixed(3)} ms → ${(s.sampleMs.p50 / s.pingMs.p50).toFixed(1)}× a PING`,
);
console.log(
  `  server time per node per sample: commandstats mean max ${s.serverUsMax.toFixed(1)} µs, SLOWLOG median max ${s.serverUsMedianMax.toFixed(1)} µs (PING ${s.pingServerUs.toFixed(1)} µs; floor ≤ 20 µs)`,
);
for (const n of s.serverUsPerNode)
  console.log(
    `    ${n.address} ${n.role}: mean ${n.usPerSample.toFixed(1)} µs, median ${n.usPerSampleMedian.toFixed(1)} µs, p90 ${n.usPerSampleP90.toFixed(1)} µs ${JSON.stringify(n.byCommand)}`,
  );
// The mean counts time the server spent preempted inside a command (2 shared cores): the evidence.
printSched(s);
console.log(`  load average ${s.loadAverage.toFixed(2)}\n`);

const c = await runConsistencyBench({ smoke, keys });
console.log('consistency: spot-check vs a naive one-key-at-a-time compare, same data, same run');
console.log(JSON.stringify(c, null, 2));

const cold = await runColdStartBench({ smoke });
console.log('');
printColdStart(cold);

// A floor missed fails the full run (`npm run bench`, the numbers a note quotes). The smoke run (CI, a few
// rounds on a shared 2-core runner beside nothing else) proves every benchmark runs and prints the same
// verdicts, marked MISSED, without failing the build on a timing: only a benchmark that cannot run fails it.
const missed: string[] = [];
if (judge.ratio > 1.5) missed.push('judge tick cost grows with the soak length');
missed.push(...cold.failures);
for (const m of missed) console.log(`${smoke ? 'MISSED (smoke: reported, not failing)' : 'FAIL'}: ${m}`);
if (missed.length && !smoke) process.exitCode = 1;
