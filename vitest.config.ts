import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Integration tests spawn servers and worker pools; two cores do not like many at once.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll gives up after 1 s by default: too short for a browser or a server on two
    // busy cores. A poll that passes returns as soon as it does.
    expect: { poll: { timeout: 10_000 } },
  },
});
