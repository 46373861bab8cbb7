import { defineConfig } from 'vitest/config';

const project = (name: string, timeout = 60_000, extra: object = {}) => ({
  ...extra,
  test: {
    name,
    root: `packages/${name}`,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: timeout,
    hookTimeout: timeout,
  },
});

// One project per package. Integration tests talk to real brokers on localhost; files run one at
// a time so that two cores are not oversubscribed and each broker sees one test's load at once.
export default defineConfig({
  test: {
    projects: [
      project('core', 10_000),
      project('memory'),
      project('redis'),
      // RXQ_AMQPLIB=lowest runs @rxq/amqp against the lowest amqplib of its peer range.
      project(
        'amqp',
        60_000,
        process.env.RXQ_AMQPLIB === 'lowest' ? { resolve: { alias: { amqplib: 'amqplib-lowest' } } } : {},
      ),
      project('kafka', 120_000),
    ],
    fileParallelism: false,
  },
});
