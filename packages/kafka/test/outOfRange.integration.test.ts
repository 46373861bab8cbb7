import { fromQueue, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { tap } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resetOffsets } from '../src/index.js';
import { BROKERS, TestTopic } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

// A group whose committed offset fell out of the partition's log (retention deleted the records it
// pointed at, or the topic was truncated) starts again where a new group would, as Kafka's
// auto.offset.reset does: from the earliest record left with fromBeginning, else from the end.
// It must not fail its fetches for ever.

let topic: TestTopic;
beforeAll(async () => {
  topic = await TestTopic.create('out-of-range');
  await topic.publish(Array.from({ length: 10 }, (_, n) => ({ n })));
  // Records 0..4 are deleted: the log now starts at offset 5.
  // kafkajs' admin finds the partition's leader in its metadata cache (else KafkaJSBrokerNotFound).
  await topic.admin.fetchTopicMetadata({ topics: [topic.name] });
  await topic.admin.deleteTopicRecords({ topic: topic.name, partitions: [{ partition: 0, offset: '5' }] });
});
afterAll(async () => {
  await topic.close();
});

const consume = async (groupId: string, fromBeginning: boolean, count: number): Promise<number[]> => {
  const source = fromQueue<{ n: number }>(topic.connector({ groupId, fromBeginning }));
  const got = await collectUntil(
    source.pipe(tap((m: Message<{ n: number }>) => void m.ack())),
    (ms) => ms.length >= count,
  );
  await source.stop();
  await topic.sessionsClosed();
  return got.map((m) => m.body.n);
};

/** A group that has committed offset 2, which is no longer in the log. */
const staleGroup = async (prefix: string): Promise<string> => {
  const group = topic.extraGroup(prefix);
  await resetOffsets({
    brokers: BROKERS,
    groupId: group,
    topic: topic.name,
    to: { offsets: [{ partition: 0, offset: 2 }] },
  });
  return group;
};

it('with fromBeginning, a committed offset before the log start resumes at the earliest record left', async () => {
  expect(await consume(await staleGroup('earliest'), true, 5)).toEqual([5, 6, 7, 8, 9]);
});

it('without fromBeginning, a committed offset before the log start resumes at the end', async () => {
  const group = await staleGroup('latest');
  const source = fromQueue<{ n: number }>(topic.connector({ groupId: group, fromBeginning: false }));
  const got = collectUntil(source.pipe(tap((m: Message<{ n: number }>) => void m.ack())), (ms) => ms.length >= 1);
  let first: number[] | undefined;
  void got.then((ms) => (first = ms.map((m) => m.body.n)));
  // Until the source has positioned itself at the end, a record published is behind it: publish
  // one every 200 ms until one comes through. None of records 5..9 may.
  for (let n = 10; first === undefined; n++) {
    if (n === 160) throw new Error('the source received nothing in 30 s');
    await topic.publish([{ n }]);
    await Promise.race([got, new Promise((r) => setTimeout(r, 200))]);
  }
  await source.stop();
  await topic.sessionsClosed();
  expect(first).toHaveLength(1);
  expect(first?.[0]).toBeGreaterThanOrEqual(10);
});
