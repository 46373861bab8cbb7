import { defineConfig } from 'vitest/config';

const project = (name: string, timeout = 60_000) => ({
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
      project('amqp'),
      project('kafka', 120_000),
      project('nats'),
      project('sqs'),
    ],
    fileParallelism: false,
  },
});
