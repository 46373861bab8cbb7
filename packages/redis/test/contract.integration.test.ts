import { contractSuite } from '@rxq/core/testing/contract';
import { afterAll } from 'vitest';
import { redis, redisSimpleList, redisStream } from '../src/index.js';
import { cleanup, client, listDeadLetters, streamDeadLetters, uniqueName, URL } from './helpers.js';

const admin = client();
afterAll(() => admin.quit());

contractSuite({
  name: 'redis reliable list',
  create: async () => {
    const q = uniqueName('reliable');
    return {
      connector: () => redis(q, { connection: URL, blockMs: 250 }),
      publish: async (bodies) => void (await admin.rpush(q, ...bodies.map((b) => JSON.stringify(b)))),
      publishRaw: async (payloads) => void (await admin.rpush(q, ...payloads.map((p) => Buffer.from(p)))),
      deadLetters: () => listDeadLetters(admin, `${q}:dead`),
      close: () => cleanup(admin, q),
    };
  },
});

contractSuite({
  name: 'redis simple list',
  atLeastOnce: false,
  create: async () => {
    const q = uniqueName('simple');
    return {
      connector: () => redisSimpleList(q, { connection: URL, blockMs: 250 }),
      publish: async (bodies) => void (await admin.rpush(q, ...bodies.map((b) => JSON.stringify(b)))),
      publishRaw: async (payloads) => void (await admin.rpush(q, ...payloads.map((p) => Buffer.from(p)))),
      deadLetters: () => listDeadLetters(admin, `${q}:dead`),
      close: () => cleanup(admin, q),
    };
  },
});

contractSuite({
  name: 'redis stream',
  create: async () => {
    const s = uniqueName('stream');
    return {
      connector: () => redisStream(s, { group: 'g', connection: URL, blockMs: 250, minIdleMs: 500 }),
      publish: async (bodies) => {
        const p = admin.pipeline();
        for (const b of bodies) p.xadd(s, '*', 'body', JSON.stringify(b));
        await p.exec();
      },
      publishRaw: async (payloads) => {
        const p = admin.pipeline();
        for (const b of payloads) p.xadd(s, '*', 'body', Buffer.from(b));
        await p.exec();
      },
      deadLetters: () => streamDeadLetters(admin, `${s}:dead`),
      close: () => cleanup(admin, s),
    };
  },
});
