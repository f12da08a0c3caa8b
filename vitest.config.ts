import { defineConfig } from 'vitest/config';

// The real-time, production-like files (a load generator, a CDC copier and a cluster each, judged on the
// wall clock at the policy's sample interval) run after the rest, one file at a time: beside other heavy
// files on two cores their ticks overran the interval, and a judge that counts missed samples rightly
// withheld readiness — a result of the runner's load, not of the code under test.
const REALTIME = [
  'test/scenario/**/*.test.ts',
  'test/integration/keyCounts.test.ts',
  'test/integration/own-errors.test.ts',
];

const shared = {
  setupFiles: ['test/setup.ts'],
  testTimeout: 30_000,
  hookTimeout: 120_000,
  teardownTimeout: 30_000,
};

export default defineConfig({
  test: {
    // Integration and offline tests start real redis-server and serverless offline processes:
    // two cores, so keep files from fighting over them.
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: REALTIME,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'realtime',
          include: REALTIME,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
