import { defineConfig } from 'vitest/config';

// The performance run (`npm run perf`): a million tasks on a real server, measured in Chromium.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/perf/**/*.perf.ts'],
    testTimeout: 10 * 60_000,
    hookTimeout: 30 * 60_000,
    fileParallelism: false,
  },
});
