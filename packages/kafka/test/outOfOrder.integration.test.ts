import { ack, fromQueue, handle, type SettlementRecord } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { tap } from 'rxjs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TestTopic } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('ooo', 4);
});
afterEach(async () => {
  await topic.close();
});

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('acks out of order at concurrency 16; commits never pass an unsettled offset', async () => {
  const total = 2000;
  await topic.publish(
    Array.from({ length: total }, (_, n) => ({ n })),
    true,
  );
  const acked = new Set<string>();
  const violations: string[] = [];
  let polls = 0;
  let watching = true;
  // Broker side: every committed offset must have all offsets below it acked at that moment.
  const watcher = (async () => {
    while (watching) {
      const snapshot = new Set(acked);
      const committed = await topic.admin.fetchOffsets({ groupId: topic.group, topics: [topic.name] });
      polls++;
      for (const { partitions } of committed)
        for (const { partition, offset } of partitions) {
          for (let o = 0; o < Number(offset); o++)
            if (!snapshot.has(`${topic.name}:${partition}:${o}`) && !acked.has(`${topic.name}:${partition}:${o}`))
              violations.push(`${partition}:${o} < ${offset}`);
        }
      await pause(50);
    }
  })();
  const source = fromQueue<{ n: number }>(topic.connector({ commitIntervalMs: 50 }), { maxInFlight: 64 });
  let outOfOrder = 0;
  let lastByPartition = new Map<number, number>();
  let records: SettlementRecord[];
  try {
    records = await collectUntil(
      source.pipe(
        handle(async () => pause(Math.random() * 5), { concurrency: 16 }),
        ack(),
        tap((r) => {
          acked.add(r.id);
          const [, p, o] = r.id.split(':').map(Number) as [number, number, number];
          if ((lastByPartition.get(p) ?? -1) > o) outOfOrder++;
          lastByPartition.set(p, Math.max(o, lastByPartition.get(p) ?? -1));
        }),
      ),
      () => acked.size === total,
      60_000,
    );
    await source.stop();
  } finally {
    watching = false;
    await watcher;
  }
  expect(records.every((r) => r.settlement === 'acked')).toBe(true);
  expect(outOfOrder).toBeGreaterThan(0); // the acks really came out of order
  expect(polls).toBeGreaterThan(2);
  expect(violations).toEqual([]);
  // Closing committed everything: committed offset = end of each partition.
  const ends = await topic.admin.fetchTopicOffsets(topic.name);
  const committed = await topic.admin.fetchOffsets({ groupId: topic.group, topics: [topic.name] });
  const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, p.offset]));
  for (const e of ends) expect(byPartition.get(e.partition)).toBe(e.high);
  lastByPartition = new Map();
});
