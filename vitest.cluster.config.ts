import { defineConfig } from 'vitest/config';

// `pnpm test:cluster`: the clustered brokers (a Redis Cluster, a three-broker Kafka, a RabbitMQ
// cluster), each package's `test/cluster/*.test.ts`. Heavier than the main suite: its own command,
// run in CI after it. Files run one at a time, as in the main suite.
const project = (name: string, timeout = 180_000) => ({
  test: {
    name: `${name}-cluster`,
    root: `packages/${name}`,
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: timeout,
    hookTimeout: timeout,
  },
});

export default defineConfig({
  test: {
    projects: [project('redis'), project('kafka'), project('amqp')],
    fileParallelism: false,
    passWithNoTests: false,
  },
});
