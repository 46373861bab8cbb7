import { bytes } from '@rxq/core';
import { contractSuite } from '@rxq/core/testing/contract';
import { afterAll } from 'vitest';
import { pgTopic, publishTopicMany } from '../src/index.js';
import { adminPool, deadLetters, freshSchema, PG_URL } from './helpers.js';

const admin = adminPool();
afterAll(() => admin.end());

contractSuite({
  name: 'postgres topic',
  create: async () => {
    const { schema, drop } = await freshSchema(admin, 'ct');
    const t = 'contract';
    return {
      connector: () =>
        pgTopic(t, { subscriber: 'contract', start: 'beginning', connection: PG_URL, schema, pollMs: 200 }),
      publish: async (bodies) => void (await publishTopicMany(admin, t, bodies, { schema })),
      publishRaw: async (payloads) => {
        for (const p of payloads)
          await publishTopicMany(admin, t, [typeof p === 'string' ? Buffer.from(p) : p], { schema, codec: bytes });
      },
      deadLetters: () => deadLetters(admin, schema, t),
      close: drop,
    };
  },
});
