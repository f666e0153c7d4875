import { defineConfig } from 'vitest/config';

// End-to-end tests: a real rustqueue server and Debian's Chromium, one file at a time.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
