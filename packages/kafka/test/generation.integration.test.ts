import { fromQueue, type Message } from '@rxq/core';
import { type Subscription } from 'rxjs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TestTopic } from './helpers.js';
import { until } from '@rxq/core/testing';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
const subscriptions: Subscription[] = [];
beforeEach(async () => {
  topic = await TestTopic.create('generation', 2);
});
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  await topic.close();
});

it('an ack after its partition moved to another consumer commits nothing', async () => {
  await topic.producer.send({
    topic: topic.name,
    messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: JSON.stringify({ n: i }) })),
  });
  // A takes both partitions and holds all 20 messages unsettled.
  const a: Message[] = [];
  const aSeen = new Set<string>();
  let aSecond: Message | undefined;
  const sourceA = fromQueue(topic.connector({ revokeTimeoutMs: 300 }), { maxInFlight: 100 });
  subscriptions.push(
    sourceA.subscribe((m) => {
      if (aSeen.has(m.id)) aSecond ??= m;
      else {
        aSeen.add(m.id);
        a.push(m);
      }
    }),
  );
  await until(() => a.length === 20, { what: 'A to hold all 20', timeoutMs: 20_000 });
  // B joins: a new generation, one partition each. A's 20 messages now belong to a dead one.
  const b: Message[] = [];
  const sourceB = fromQueue(topic.connector(), { maxInFlight: 100 });
  subscriptions.push(sourceB.subscribe((m) => b.push(m)));
  await until(() => b.length > 0 && aSecond !== undefined, { what: 'both to be assigned again', timeoutMs: 20_000 });
  const mine = aSecond!.partition;
  const theirs = b[0]!.partition;
  expect(mine).not.toBe(theirs);
  // Late acks of every old message (both partitions), and one ack in A's new generation.
  await Promise.all(a.map((m) => m.ack()));
  await aSecond!.ack();
  const committed = async (p: number): Promise<string | undefined> => {
    const offsets = await topic.admin.fetchOffsets({ groupId: topic.group, topics: [topic.name] });
    return offsets[0]?.partitions.find((x) => x.partition === p)?.offset;
  };
  await until(async () => (await committed(mine!)) !== '-1', {
    what: 'A to commit its new generation',
    timeoutMs: 20_000,
  });
  // Only the new-generation ack counts: offset 0 settled → commit 1 (the 10 late acks did not).
  expect(await committed(mine!)).toBe(String(Number(aSecond!.offset) + 1));
  // B's partition: A's late acks never committed it.
  expect(await committed(theirs!)).toBe('-1');
});
