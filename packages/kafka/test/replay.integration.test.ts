import { fromQueue, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { tap } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resetOffsets } from '../src/index.js';
import { BROKERS, TestTopic } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
const BASE = Date.UTC(2026, 0, 1);
beforeAll(async () => {
  // The records' create times are in the past (2026-01-01): retention by time would delete them at
  // the broker's next retention check, so this topic keeps its records whatever their age.
  topic = await TestTopic.create('replay', 1, { brokers: BROKERS, config: { 'retention.ms': '-1' } });
  // Ten records, n = 0..9, with create times one minute apart.
  await topic.producer.send({
    topic: topic.name,
    messages: Array.from({ length: 10 }, (_, n) => ({
      value: JSON.stringify({ n }),
      timestamp: String(BASE + n * 60_000),
    })),
  });
});
afterAll(async () => {
  await topic.close();
});

const consumeAll = async (connector: ReturnType<TestTopic['connector']>, count: number): Promise<number[]> => {
  const source = fromQueue<{ n: number }>(connector);
  const got = await collectUntil(
    source.pipe(tap((m: Message<{ n: number }>) => void m.ack())),
    (ms) => ms.length >= count,
  );
  await source.stop();
  return got.map((m) => m.body.n);
};

it('seeks a partition to an offset on assignment', async () => {
  const ns = await consumeAll(
    topic.connector({ groupId: topic.extraGroup('g'), seek: [{ topic: topic.name, partition: 0, offset: 6 }] }),
    4,
  );
  expect(ns).toEqual([6, 7, 8, 9]);
});

it('seeks a topic to a timestamp on assignment', async () => {
  const ns = await consumeAll(
    topic.connector({ groupId: topic.extraGroup('g'), seek: [{ topic: topic.name, timestamp: BASE + 7 * 60_000 }] }),
    3,
  );
  expect(ns).toEqual([7, 8, 9]);
});

it('resetOffsets moves a stopped group back, so that it replays', async () => {
  const group = topic.extraGroup('g');
  expect(await consumeAll(topic.connector({ groupId: group }), 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await topic.sessionsClosed();
  await resetOffsets({
    brokers: BROKERS,
    groupId: group,
    topic: topic.name,
    to: { offsets: [{ partition: 0, offset: 8 }] },
  });
  // fromBeginning false: only the committed offset decides where it starts.
  expect(await consumeAll(topic.connector({ groupId: group, fromBeginning: false }), 2)).toEqual([8, 9]);
  await topic.sessionsClosed();
  await resetOffsets({ brokers: BROKERS, groupId: group, topic: topic.name, to: 'earliest' });
  expect(await consumeAll(topic.connector({ groupId: group, fromBeginning: false }), 10)).toEqual([
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  ]);
});
