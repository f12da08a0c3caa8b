import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaTaskSender } from '../../src/runtime/fanout.js';
import { dispatchTasks, roundTasks } from '../../src/tick/fanout.js';

// The dispatcher's real Lambda client against a loopback Invoke API that counts how many requests are
// open at once: `fleet.dispatchConcurrency` invokes must really be in flight together (the SDK's HTTP
// agent keeps 50 sockets per host unless told otherwise, and the invokes past 50 would queue for a
// socket, silently capping the setting). The server answers nothing until `awaited` requests are open
// (or MAX_HOLD_MS passed, so a capped client still finishes): how fast the client opens them on a
// loaded machine does not matter, only how many it can have open.
const MAX_HOLD_MS = 3_000;
let awaited = 0;
let open = 0;
let peak = 0;
let invokes = 0;
let held: (() => void)[] = [];
let timer: NodeJS.Timeout | undefined;
const release = () => {
  clearTimeout(timer);
  timer = undefined;
  const now = held;
  held = [];
  for (const answer of now) answer();
};
const server = createServer((req, res) => {
  open++;
  peak = Math.max(peak, open);
  req.resume();
  req.on('end', () => {
    held.push(() => {
      invokes++;
      open--;
      res.writeHead(202).end();
    });
    if (open >= awaited) release();
    else timer ??= setTimeout(release, MAX_HOLD_MS);
  });
});
const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("the dispatcher's Lambda client", () => {
  it.each([64, 128])(
    'keeps fleet.dispatchConcurrency (%i) invokes in flight at once',
    async (concurrency) => {
      peak = 0;
      invokes = 0;
      awaited = concurrency;
      const tasks = roundTasks(
        Array.from({ length: concurrency * 3 }, (_, i) => `t${i}`),
        Date.now(),
        60_000,
      );
      const send = lambdaTaskSender('soakwatch-dev-tickTenant', { maxSockets: concurrency });
      try {
        const report = await dispatchTasks(tasks, send, { concurrency, clock: Date.now });
        expect(report.failed).toEqual([]);
        expect(report.dispatched).toBe(tasks.length);
      } finally {
        send.destroy();
      }
      expect(invokes).toBe(tasks.length);
      expect(peak).toBe(concurrency);
    },
  );
});
