import { ack, fromQueue, handle } from '@rxq/core';
import { filter, firstValueFrom, tap } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { TestTopic } from './helpers.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let topic: TestTopic | undefined;
afterEach(async () => {
  await topic?.close();
  topic = undefined;
});

async function committed(t: TestTopic): Promise<number> {
  const [group] = await t.admin.fetchOffsets({ groupId: t.group, topics: [t.name] });
  return Number(group?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
}

it('the last record of a fetched batch is not committed past before it is acked: a new consumer gets it again', async () => {
  topic = await TestTopic.create('last-record', 1);
  const t = topic;
  await t.publish(Array.from({ length: 10 }, (_, n) => ({ n })));
  // Every record is acked but the last one of the batch (n = 9), which stays in flight.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const acked = new Set<number>();
  const first = fromQueue<{ n: number }>(t.connector({ commitIntervalMs: 50 }), { maxInFlight: 32 })
    .pipe(
      handle(async (m) => {
        if (m.body.n === 9) await held;
      }),
      ack(),
      tap((r) => {
        if (r.settlement === 'acked') acked.add(Number(r.id.split(':').pop()));
      }),
    )
    .subscribe();
  // The group's committed offset moves up to the held record, and never past it.
  const deadline = Date.now() + 20_000;
  let at = -1;
  while ((at = await committed(t)) < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(acked.size).toBe(9);
  expect(at).toBe(9);
  first.unsubscribe();
  release();
  await t.sessionsClosed();

  // What was in flight comes again to the next consumer of the group.
  const again = fromQueue<{ n: number }>(t.connector(), { maxInFlight: 32 });
  const n = await firstValueFrom(
    again.pipe(
      handle((m) => m.body.n),
      ack(),
      filter((r) => r.settlement === 'acked'),
    ),
  );
  expect(n.id).toBe(`${t.name}:0:9`);
});
