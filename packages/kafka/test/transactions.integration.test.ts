import { ack, fromQueue, handle } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TestTopic } from './helpers.js';
import { javaTool } from './tools.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('transactions', 1);
});
afterEach(async () => {
  await topic.close();
});

it('a Java transactional producer: exactly the committed records arrive, and the commit reaches the log end (lag 0)', async () => {
  // Commit 5, abort 3, commit 4, abort 2, commit 3, and end on an aborted transaction: the log
  // ends with markers and aborted records that are never delivered.
  const out = await javaTool(['tx', topic.name, 'c5,a3,c4,a2,c3,a2']);
  expect(out).toContain('committed 12');
  const bodies: { tx: number; n: number; committed: boolean }[] = [];
  const source = fromQueue<{ tx: number; n: number; committed: boolean }>(topic.connector(), { maxInFlight: 8 });
  const sub = source
    .pipe(
      handle((m) => void bodies.push(m.body), { concurrency: 4 }),
      ack(),
    )
    .subscribe();
  const [end] = await topic.admin.fetchTopicOffsets(topic.name);
  const high = Number(end?.high);
  // 12 committed + 7 aborted records + 6 markers = 25 offsets.
  expect(high).toBe(25);
  const committed = async (): Promise<number> => {
    const [t] = await topic.admin.fetchOffsets({ groupId: topic.group, topics: [topic.name] });
    return Number(t?.partitions[0]?.offset ?? -1);
  };
  await until(async () => (await committed()) === high, {
    what: 'the group offset at the end of the log',
    timeoutMs: 20_000,
  });
  sub.unsubscribe();
  expect(bodies.every((b) => b.committed)).toBe(true);
  const ids = bodies.map((b) => `${b.tx}:${b.n}`).sort();
  const expected = [
    ...[0, 1, 2, 3, 4].map((n) => `0:${n}`),
    ...[0, 1, 2, 3].map((n) => `2:${n}`),
    ...[0, 1, 2].map((n) => `4:${n}`),
  ].sort();
  expect(ids).toEqual(expected);
  await topic.sessionsClosed();
});

it('a transaction committed while the consumer waits at the end is committed past its marker', async () => {
  const source = fromQueue<{ tx: number }>(topic.connector(), { maxInFlight: 8 });
  let seen = 0;
  const done = collectUntil(
    source.pipe(
      handle(() => void seen++),
      ack(),
    ),
    () => seen >= 4,
    60_000,
  );
  await javaTool(['tx', topic.name, 'c2']);
  await javaTool(['tx', topic.name, 'a1,c2']);
  await done;
  const high = Number((await topic.admin.fetchTopicOffsets(topic.name))[0]?.high);
  expect(high).toBe(8); // 2 + marker, 1 aborted + marker, 2 + marker
  expect(seen).toBe(4);
  await topic.sessionsClosed();
  const [t] = await topic.admin.fetchOffsets({ groupId: topic.group, topics: [topic.name] });
  expect(Number(t?.partitions[0]?.offset)).toBe(high);
});
