import { InvalidOptionError, NotFoundError } from '@rxq/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  commitSubscriber,
  createSubscriber,
  createTopic,
  deleteSubscriber,
  deleteTopic,
  listTopics,
  publishTopicMany,
  readSubscriber,
  resetSubscriber,
  subscriberOffsets,
} from '../src/index.js';
import { adminPool, freshSchema } from './helpers.js';

const admin = adminPool();
afterAll(() => admin.end());

const bodiesOf = (r: { messages: { payload: Buffer }[] }): unknown[] =>
  r.messages.map((m) => JSON.parse(m.payload.toString()) as unknown);

describe('topic administration', { timeout: 30_000 }, () => {
  it('creates, lists and deletes topics; publish with create: false needs the topic', async () => {
    const { schema, drop } = await freshSchema(admin, 'tadmin');
    const c = { connection: admin, schema };
    try {
      await expect(publishTopicMany(admin, 'a', [1], { schema, create: false })).rejects.toBeInstanceOf(NotFoundError);
      expect(await listTopics(c)).toEqual([]);
      expect(await createTopic({ ...c, topic: 'a' })).toBe(true);
      expect(await createTopic({ ...c, topic: 'a' })).toBe(false);
      expect(await publishTopicMany(admin, 'a', [1, 2], { schema, create: false })).toEqual(['1', '2']);
      await createTopic({ ...c, topic: 'b' });
      await createSubscriber({ ...c, topic: 'a', subscriber: 's' });
      expect(await listTopics(c)).toEqual([
        { name: 'a', lastOffset: '2', firstOffset: '1', subscribers: 1 },
        { name: 'b', lastOffset: '0', firstOffset: null, subscribers: 0 },
      ]);
      expect(await listTopics({ ...c, topic: 'b' })).toHaveLength(1);
      expect(await deleteTopic({ ...c, topic: 'a' })).toBe(true);
      expect(await deleteTopic({ ...c, topic: 'a' })).toBe(false);
      expect((await listTopics(c)).map((t) => t.name)).toEqual(['b']);
      expect(await subscriberOffsets({ ...c, topic: 'a' })).toEqual([]);
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".messages WHERE topic = 'a'`);
      expect(rows[0]).toEqual({ n: 0 });
      await expect(publishTopicMany(admin, 'a', [3], { schema, create: false })).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await drop();
    }
  });

  it('subscribers: created at the end or the beginning, read without moving, committed cumulatively, deleted', async () => {
    const { schema, drop } = await freshSchema(admin, 'tsub');
    const c = { connection: admin, schema, topic: 't' };
    try {
      await expect(createSubscriber({ ...c, subscriber: 'x' })).rejects.toBeInstanceOf(NotFoundError);
      await createTopic(c);
      await publishTopicMany(admin, 't', ['a', 'b', 'c'], { schema });
      expect(await createSubscriber({ ...c, subscriber: 'first', start: 'beginning' })).toBe(true);
      expect(await createSubscriber({ ...c, subscriber: 'late' })).toBe(true);
      expect(await createSubscriber({ ...c, subscriber: 'late', start: 'beginning' })).toBe(false);
      await publishTopicMany(admin, 't', ['d'], { schema });

      const r1 = await readSubscriber({ ...c, subscriber: 'first', max: 2 });
      expect([r1.committed, bodiesOf(r1)]).toEqual(['0', ['a', 'b']]);
      // Reading again reads the same: nothing moved.
      expect(bodiesOf(await readSubscriber({ ...c, subscriber: 'first', max: 2 }))).toEqual(['a', 'b']);
      expect(bodiesOf(await readSubscriber({ ...c, subscriber: 'first', max: 10, after: 2 }))).toEqual(['c', 'd']);
      expect(bodiesOf(await readSubscriber({ ...c, subscriber: 'late', max: 10 }))).toEqual(['d']);

      expect(await commitSubscriber({ ...c, subscriber: 'first', offset: 2 })).toBe('2');
      expect(await commitSubscriber({ ...c, subscriber: 'first', offset: 1 })).toBe('2'); // never back
      await expect(commitSubscriber({ ...c, subscriber: 'first', offset: 5 })).rejects.toBeInstanceOf(
        InvalidOptionError,
      );
      await expect(commitSubscriber({ ...c, subscriber: 'nobody', offset: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(readSubscriber({ ...c, subscriber: 'nobody', max: 1 })).rejects.toBeInstanceOf(NotFoundError);
      expect(bodiesOf(await readSubscriber({ ...c, subscriber: 'first', max: 10 }))).toEqual(['c', 'd']);
      const offsets = await subscriberOffsets(c);
      expect(offsets.map((o) => [o.subscriber, o.committed, o.lag])).toEqual([
        ['first', '2', 2],
        ['late', '3', 1],
      ]);

      await resetSubscriber({ ...c, subscriber: 'first', to: { offset: 1 } });
      expect(bodiesOf(await readSubscriber({ ...c, subscriber: 'first', max: 10 }))).toEqual(['a', 'b', 'c', 'd']);
      // Offsets in numeric order past 9 (not as text), and a read of a page after them.
      await publishTopicMany(
        admin,
        't',
        Array.from({ length: 20 }, (_, i) => i + 5),
        { schema },
      );
      const page = await readSubscriber({ ...c, subscriber: 'first', max: 7, after: 6 });
      expect(page.messages.map((m) => m.offset)).toEqual(['7', '8', '9', '10', '11', '12', '13']);
      expect(bodiesOf(page)).toEqual([7, 8, 9, 10, 11, 12, 13]);

      expect(await deleteSubscriber({ ...c, subscriber: 'first' })).toBe(true);
      expect(await deleteSubscriber({ ...c, subscriber: 'first' })).toBe(false);
      expect((await subscriberOffsets(c)).map((o) => o.subscriber)).toEqual(['late']);
    } finally {
      await drop();
    }
  });
});
