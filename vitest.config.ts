import { defineConfig } from 'vitest/config';

interface ProjectOptions {
  /** Run the package's type tests (*.test-d.ts) under tsc: a wrong type fails the run. */
  readonly typecheck?: boolean;
  /** More Vite config for the project (e.g. a `resolve.alias`). */
  readonly extra?: object;
}

const project = (name: string, timeout = 60_000, { typecheck = false, extra = {} }: ProjectOptions = {}) => ({
  ...extra,
  test: {
    name,
    root: `packages/${name}`,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // test/cluster/: clustered brokers, run by `pnpm test:cluster` (vitest.cluster.config.ts).
    exclude: ['test/cluster/**'],
    testTimeout: timeout,
    hookTimeout: timeout,
    typecheck: {
      enabled: typecheck,
      include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'],
      tsconfig: 'tsconfig.typecheck.json',
    },
  },
});

// One project per package. Integration tests talk to real brokers on localhost; files run one at
// a time so that two cores are not oversubscribed and each broker sees one test's load at once.
export default defineConfig({
  test: {
    projects: [
      project('core', 10_000, { typecheck: true }),
      project('memory', 60_000, { typecheck: true }),
      project('redis'),
      // RXQ_AMQPLIB=lowest runs @rxq/amqp against the lowest amqplib of its peer range.
      project('amqp', 60_000, {
        extra: process.env.RXQ_AMQPLIB === 'lowest' ? { resolve: { alias: { amqplib: 'amqplib-lowest' } } } : {},
      }),
      project('kafka', 120_000),
      project('gateway'),
      project('workers'),
      project('postgres', 60_000),
      project('nats'),
      project('sqs'),
      project('otel'),
      project('console', 120_000),
      // Browser tests: Debian's chromium driven by playwright-core, against live consumers and brokers.
      project('dashboard', 120_000),
      // Each example consumer run as its own process against the real brokers.
      { test: { name: 'examples', root: 'examples', include: ['*.test.mjs'], testTimeout: 60_000 } },
    ],
    fileParallelism: false,
  },
});
