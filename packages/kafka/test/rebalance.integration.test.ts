import { ack, fromQueue, handle } from '@rxq/core';
import { filter, firstValueFrom, Subject, tap } from 'rxjs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DRIVER, TestTopic } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic;
beforeEach(async () => {
  topic = await TestTopic.create('rebalance', 4);
});
afterEach(async () => {
  await topic.close();
});

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('two consumers on 4 partitions: one leaves mid-stream, the other takes over, none lost', async () => {
  const total = 4000;
  await topic.publish(
    Array.from({ length: total }, (_, n) => ({ n })),
    true,
  );
  const seen = new Map<number, number>();
  const byConsumer = { a: new Set<number>(), b: new Set<number>() };
  let allSeen!: () => void;
  const complete = new Promise<void>((r) => (allSeen = r));
  let bothConsuming!: () => void;
  const both = new Promise<void>((r) => (bothConsuming = r));
  const run = (name: 'a' | 'b', stop: Subject<void>) => {
    const source = fromQueue<{ n: number }>(topic.connector(), { maxInFlight: 32, stop });
    source
      .pipe(
        handle(
          async (m) => {
            await pause(1 + Math.random() * 3);
            return m.body.n;
          },
          { concurrency: 8 },
        ),
        ack(),
        filter((r) => r.settlement === 'acked'),
        tap((r) => {
          const n = Number(r.id.split(':')[2]) * 10 + Number(r.id.split(':')[1]);
          byConsumer[name].add(n);
          seen.set(n, (seen.get(n) ?? 0) + 1);
          if (byConsumer.a.size >= 200 && byConsumer.b.size >= 200) bothConsuming();
          if (seen.size === total) allSeen();
        }),
      )
      .subscribe();
    return source;
  };
  const stopA = new Subject<void>();
  const stopB = new Subject<void>();
  const a = run('a', stopA);
  await firstValueFrom(a.status$.pipe(filter((s) => s.status === 'connected')));
  const b = run('b', stopB);
  // Both consuming, then A leaves (graceful: drains, commits, leaves the group).
  await both;
  const aCountAtLeave = byConsumer.a.size;
  stopA.next();
  await firstValueFrom(a.status$.pipe(filter((s) => s.status === 'closed')));
  const seenAtLeave = new Set(seen.keys());
  expect(seen.size).toBeLessThan(total); // A left mid-stream
  const bBefore = new Set(byConsumer.b);
  await complete;
  stopB.next();
  await firstValueFrom(b.status$.pipe(filter((s) => s.status === 'closed')));
  expect(seen.size).toBe(total);
  expect(byConsumer.a.size).toBeGreaterThanOrEqual(aCountAtLeave);
  // B took over after A left: it acked the rest, on every partition that still had messages.
  const ends = await topic.admin.fetchTopicOffsets(topic.name);
  const afterLeave = [...byConsumer.b].filter((n) => !bBefore.has(n));
  expect(afterLeave.length).toBeGreaterThan(0);
  for (const e of ends) {
    const p = e.partition;
    const open = [...Array(Number(e.high)).keys()].some((o) => !seenAtLeave.has(o * 10 + p));
    if (open) expect(afterLeave.some((n) => n % 10 === p)).toBe(true);
  }
  // Everything committed at the end.
  const committed = await topic.admin.fetchOffsets({ groupId: topic.group, topics: [topic.name] });
  const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, p.offset]));
  for (const e of ends) expect(byPartition.get(e.partition)).toBe(e.high);
});

it('a member joining under load: in-flight messages settle and are committed before partitions move, none handled twice', async () => {
  const total = 8000;
  await topic.publish(
    Array.from({ length: total }, (_, n) => ({ n })),
    true,
  );
  const handled = new Map<string, number>();
  let allSeen!: () => void;
  const complete = new Promise<void>((r) => (allSeen = r));
  let underWay!: () => void;
  const started = new Promise<void>((r) => (underWay = r));
  const byConsumer = { a: 0, b: 0 };
  const run = (name: 'a' | 'b', stop: Subject<void>) => {
    const source = fromQueue<{ n: number }>(topic.connector({ revokeTimeoutMs: 5_000 }), { maxInFlight: 64, stop });
    source
      .pipe(
        handle(() => pause(2 + Math.random() * 4), { concurrency: 16 }),
        ack(),
        tap((r) => {
          handled.set(r.id, (handled.get(r.id) ?? 0) + 1);
          byConsumer[name]++;
          if (handled.size === 500) underWay();
          if (handled.size === total) allSeen();
        }),
      )
      .subscribe();
    return source;
  };
  const stopA = new Subject<void>();
  const stopB = new Subject<void>();
  const a = run('a', stopA);
  await started;
  const b = run('b', stopB);
  await complete;
  stopA.next();
  stopB.next();
  await Promise.all([a, b].map((s) => firstValueFrom(s.status$.pipe(filter((x) => x.status === 'closed')))));
  expect(handled.size).toBe(total);
  // B joined mid-stream and took partitions over.
  expect(byConsumer.b).toBeGreaterThan(0);
  // With revokeTimeoutMs 0 the same run handles about 50 messages twice.
  const twice = [...handled.values()].filter((count) => count > 1).length;
  // @platformatic/kafka rejoins as soon as its heartbeat meets the rebalance, without waiting for
  // the batch rxq holds: what was in flight on the moved partitions is handled again (a known
  // limit of that driver, in the README); kafkajs waits, and nothing is handled twice.
  if (DRIVER === 'platformatic') console.log(`platformatic driver: ${twice} handled twice`);
  else expect(twice).toBe(0);
});
