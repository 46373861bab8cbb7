import { contractSuite } from '@rxq/core/testing/contract';
import { afterAll } from 'vitest';
import { redis, redisSimpleList, redisStream } from '../../src/index.js';
import { listDeadLetters, streamDeadLetters, uniqueName } from '../helpers.js';
import { cleanupCluster, clusterClient } from './helpers.js';

// The shared contract on a Redis Cluster, each mode with a Cluster client as `connection`. Queue
// names carry no hash tag (as a producer's usually do): rxq puts the queue's own keys in the
// queue's slot (`{<queue>}:dead`, …). The sources get a client of their own, the producer another.
const admin = clusterClient();
const consumerClient = clusterClient();
afterAll(async () => {
  await admin.quit();
  await consumerClient.quit();
});

const name = (kind: string): string => uniqueName(`cluster-${kind}`).replaceAll(':', '-');

contractSuite({
  name: 'redis cluster reliable list',
  create: async () => {
    const q = name('reliable');
    return {
      connector: () => redis(q, { connection: consumerClient, blockMs: 250 }),
      publish: async (bodies) => void (await admin.rpush(q, ...bodies.map((b) => JSON.stringify(b)))),
      publishRaw: async (payloads) => void (await admin.rpush(q, ...payloads.map((p) => Buffer.from(p)))),
      deadLetters: () => listDeadLetters(admin, `{${q}}:dead`),
      close: () => cleanupCluster(admin, q),
    };
  },
});

contractSuite({
  name: 'redis cluster simple list',
  atLeastOnce: false,
  create: async () => {
    const q = name('simple');
    return {
      connector: () => redisSimpleList(q, { connection: consumerClient, blockMs: 250 }),
      publish: async (bodies) => void (await admin.rpush(q, ...bodies.map((b) => JSON.stringify(b)))),
      publishRaw: async (payloads) => void (await admin.rpush(q, ...payloads.map((p) => Buffer.from(p)))),
      deadLetters: () => listDeadLetters(admin, `{${q}}:dead`),
      close: () => cleanupCluster(admin, q),
    };
  },
});

contractSuite({
  name: 'redis cluster stream',
  create: async () => {
    const s = name('stream');
    return {
      connector: () => redisStream(s, { group: 'g', connection: consumerClient, blockMs: 250, minIdleMs: 500 }),
      publish: async (bodies) => {
        for (const b of bodies) await admin.xadd(s, '*', 'body', JSON.stringify(b));
      },
      publishRaw: async (payloads) => {
        for (const b of payloads) await admin.xadd(s, '*', 'body', Buffer.from(b));
      },
      deadLetters: () => streamDeadLetters(admin, `{${s}}:dead`),
      close: () => cleanupCluster(admin, s),
    };
  },
});
