import { defineConfig } from 'vitest/config';

// One project per package. Integration tests talk to real brokers: files run one at a time so
// that two cores are not oversubscribed and brokers see one test's load at once.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'core', root: 'packages/core', include: ['src/**/*.test.ts'] } },
      { test: { name: 'memory', root: 'packages/memory', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
    ],
    fileParallelism: false,
  },
});
