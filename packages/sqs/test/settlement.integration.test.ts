import { ack, fromQueue, handle, NotFoundError, retryWithResend, type Message } from '@rxq/core';
import { collectAll, collectUntil } from '@rxq/core/testing';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { tap } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { sqs, type SqsDelivery } from '../src/index.js';
import { CLIENT_CONFIG, testQueue, type TestQueue } from './helpers.js';

type N = { n: number; k?: number };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The connector's typed view of what the server delivered (the core Message hides it). */
const transportOf = (m: Message<unknown>) => (m as unknown as { delivery: SqsDelivery }).delivery.transport;

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('extends the visibility while a message is held, and only then', async () => {
  t = await testQueue('visibility');
  for (const extendVisibility of [true, false]) {
    await t.send([{ n: extendVisibility ? 1 : 2 }]);
    const source = fromQueue<N>(t.connector({ visibilityTimeoutMs: 2_000, extendVisibility }), { maxInFlight: 5 });
    const attempts: number[] = [];
    await collectUntil(
      source.pipe(
        tap((m) => attempts.push(m.attempt)),
        handle(async (m: Message<N>) => {
          if (m.attempt === 1) await pause(4_500); // more than twice the visibility timeout
        }),
        ack(),
      ),
      (rs) => rs.some((r) => r.attempt === 1),
      20_000,
    );
    await source.stop();
    // Extended: received once. Not extended: received again while the handler ran.
    if (extendVisibility) expect(attempts).toEqual([1]);
    else expect(attempts).toContain(2);
  }
}, 40_000);

it('resends by visibility: the same message, after the delay, its receive count as attempt', async () => {
  t = await testQueue('resend');
  await t.send([{ n: 1 }]);
  const source = fromQueue<N>(t.connector());
  const seen: { attempt: number; id: string; count: string | undefined; at: number }[] = [];
  await collectUntil(
    source.pipe(
      tap((m) => {
        const tr = transportOf(m);
        seen.push({
          attempt: m.attempt,
          id: tr.messageId,
          count: tr.attributes.ApproximateReceiveCount,
          at: Date.now(),
        });
      }),
      handle((m: Message<N>) => {
        if (m.attempt < 3) throw new Error('again');
      }),
      retryWithResend({ maxAttempts: 5, backoff: () => 1_000 }),
      ack(),
    ),
    (rs) => rs.some((r) => r.settlement === 'acked'),
  );
  await source.stop();
  expect(seen.map((s) => [s.attempt, s.count])).toEqual([
    [1, '1'],
    [2, '2'],
    [3, '3'],
  ]);
  expect(new Set(seen.map((s) => s.id)).size).toBe(1); // no copy
  expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(900);
  await expect.poll(() => t!.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
});

it('dead-letters a copy with the typed attributes, FIFO group and a deduplication id, then deletes it', async () => {
  t = await testQueue('dlfifo', true);
  await t.client.send(
    new SendMessageCommand({
      QueueUrl: t.url,
      MessageBody: '{"n":1}',
      MessageGroupId: 'order-42',
      MessageDeduplicationId: 'd-1',
      MessageAttributes: {
        trace: { DataType: 'String', StringValue: 'abc' },
        raw: { DataType: 'Binary', BinaryValue: new Uint8Array([0xff, 0x00, 0x7f]) },
        count: { DataType: 'Number', StringValue: '-7' },
      },
    }),
  );
  const source = fromQueue<N>(t.connector());
  const [m] = await collectUntil(
    source.pipe(tap((m) => void m.deadLetter('bad-order', new Error('no such sku')))),
    (ms) => ms.length === 1,
  );
  await source.stop();
  expect(m?.key).toBe('order-42');
  const [dead] = await t.drain(`${t.queue.replace(/\.fifo$/, '')}-dead.fifo`);
  expect(dead?.Body).toBe('{"n":1}');
  expect(dead?.Attributes?.MessageGroupId).toBe('order-42');
  expect(dead?.Attributes?.MessageDeduplicationId).toBe(`${transportOf(m!).messageId}-dead`);
  const a = dead?.MessageAttributes ?? {};
  expect(a.trace).toMatchObject({ DataType: 'String', StringValue: 'abc' });
  expect([...(a.raw?.BinaryValue ?? [])]).toEqual([0xff, 0x00, 0x7f]);
  expect(a.count).toMatchObject({ DataType: 'Number', StringValue: '-7' });
  expect(a['x-rxq-dead-reason']?.StringValue).toBe('bad-order');
  expect(a['x-rxq-error-message']?.StringValue).toBe('no such sku');
  expect(await t.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
});

it("with deadLetterQueue 'redrive' gives the message back for the queue's redrive policy", async () => {
  t = await testQueue('redrive');
  await t.send([{ n: 1 }]);
  const source = fromQueue<N>(t.connector({ deadLetterQueue: 'redrive' }));
  const seen = await collectUntil(
    source.pipe(tap((m) => void (m.attempt === 1 ? m.deadLetter('rejected') : m.ack()))),
    (ms) => ms.length === 2,
  );
  await source.stop();
  // No redrive policy on this queue: the message simply comes back, with its receive count.
  expect(seen.map((m) => m.attempt)).toEqual([1, 2]);
});

it('keeps the order of each FIFO message group, groups in parallel', async () => {
  t = await testQueue('groups', true);
  const { publishMany } = await import('../src/index.js');
  await publishMany(
    t.client,
    t.url,
    Array.from({ length: 120 }, (_, n) => ({ n, k: n % 4 })),
    { groupId: (b) => `g${b.k}` },
  );
  const source = fromQueue<N>(t.connector(), { maxInFlight: 40 });
  const order = new Map<string, number[]>();
  await collectUntil(
    source.pipe(
      tap((m) => order.set(m.key!, [...(order.get(m.key!) ?? []), m.body.n])),
      handle(() => pause(Math.random() * 3), { concurrency: 8, key: (m) => m.key }),
      ack(),
    ),
    (rs) => rs.length === 120,
  );
  await source.stop();
  expect([...order.keys()].sort()).toEqual(['g0', 'g1', 'g2', 'g3']);
  for (const list of order.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
});

it('errors at once, not retryable, for a queue that does not exist', async () => {
  const source = fromQueue(sqs('rxq-test-missing-queue-x', { clientConfig: CLIENT_CONFIG }));
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await collectAll(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotFoundError);
  expect(statuses).not.toContain('reconnecting');
});
