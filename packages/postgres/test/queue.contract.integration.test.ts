import { contractSuite } from '@rxq/core/testing/contract';
import { afterAll } from 'vitest';
import { pgQueue, publishMany } from '../src/index.js';
import { adminPool, deadLetters, freshSchema, PG_URL } from './helpers.js';

const admin = adminPool();
afterAll(() => admin.end());

contractSuite({
  name: 'postgres queue',
  create: async () => {
    const { schema, drop } = await freshSchema(admin, 'cq');
    const q = 'contract';
    return {
      connector: () => pgQueue(q, { connection: PG_URL, schema, pollMs: 200 }),
      publish: async (bodies) => void (await publishMany(admin, q, bodies, { schema })),
      publishRaw: async (payloads) => {
        for (const p of payloads)
          await admin.query(`INSERT INTO "${schema}".jobs (queue, payload) VALUES ($1, $2)`, [q, Buffer.from(p)]);
      },
      deadLetters: () => deadLetters(admin, schema, q),
      close: drop,
    };
  },
});
