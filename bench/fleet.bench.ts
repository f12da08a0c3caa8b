/**
 * Fleet benchmark (issue 11): 200 tenants (by default) ticked by today's single in-process loop and by
 * the dispatcher fanning the round out through serverless offline's Lambda Invoke API, in the same run;
 * prints the round time, per-tenant latency, connections per node and memory, with the ratios.
 * `npx tsx bench/fleet.bench.ts [--tenants N]`. The harness is test/scale/fleet.ts (the suite runs 40).
 */
import { pathToFileURL } from 'node:url';
import { formatFleet, runFleetScale } from '../test/scale/fleet.js';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--tenants');
  const tenants = i >= 0 ? Number(process.argv[i + 1]) : 200;
  const result = await runFleetScale({ tenants, log: (line) => console.error(line) });
  console.log(formatFleet(result));
}
