import { ack, fromQueue, handle, NotFoundError, silentLogger, text, type Message, type RxqError } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { filter, firstValueFrom, tap } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { amqp, publish, publishMany } from '../src/index.js';
import { BROKER_URL, testQueue, type TestQueue } from './helpers.js';

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('declares an exchange and binding when asked, and exposes the routing key as key', async () => {
  t = await testQueue('exchange');
  const exchange = `${t.queue}.x`;
  const source = fromQueue<{ n: number }>(
    t.connector({ exchange: { name: exchange, type: 'topic', bindingKey: 'orders.*' } }),
  );
  try {
    const seen: Message<{ n: number }>[] = [];
    const done = collectUntil(source.pipe(tap((m) => void (seen.push(m), m.ack()))), (ms) => ms.length === 2);
    // Declared (exchange and binding too) before the session counts as connected.
    await firstValueFrom(source.status$.pipe(filter((s) => s.status === 'connected')));
    await publishMany(t.admin, 'orders.new', [{ n: 1 }], { exchange });
    // Not bound: the broker returns it, and the publish says so instead of resolving.
    const unroutable = await publishMany(t.admin, 'invoices.new', [{ n: 2 }], { exchange }).catch((e: unknown) => e);
    expect(unroutable).toBeInstanceOf(NotFoundError);
    expect((unroutable as Error).message).toContain(`no queue is bound to exchange "${exchange}"`);
    await publishMany(t.admin, 'orders.paid', [{ n: 3 }], { exchange });
    await done;
    expect(seen.map((m) => [m.body.n, m.key])).toEqual([
      [1, 'orders.new'],
      [3, 'orders.paid'],
    ]);
  } finally {
    await source.stop(); // before the cleanup: a running source would declare them again
    const ch = await t.admin.createChannel();
    await ch.deleteExchange(exchange);
    await ch.close();
  }
});

it('consumes on a connection the user owns, and leaves it open', async () => {
  t = await testQueue('borrowed');
  await publish(BROKER_URL, t.queue, 'plain text', { codec: text });
  const source = fromQueue<string>(amqp(t.queue, { connection: t.admin, codec: text }));
  const records = await collectUntil(
    source.pipe(
      handle((m: Message<string>) => m.body),
      ack(),
    ),
    (rs) => rs.length === 1,
  );
  await source.stop();
  expect(records[0]).toMatchObject({ settlement: 'acked', attempt: 1 });
  const ch = await t.admin.createChannel(); // still usable
  expect((await ch.checkQueue(t.queue)).messageCount).toBe(0);
  await ch.close();
});

it('with assert: false, errors the stream at once (NotFoundError, not retried) on a queue that does not exist', async () => {
  t = await testQueue('noassert');
  const missing = `${t.queue}.missing`;
  const source = fromQueue(amqp(missing, { connection: BROKER_URL, assert: false }), {
    reconnect: { initialMs: 20, maxMs: 100 },
  });
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await collectUntil(source, () => false).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotFoundError);
  expect(error).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  expect((error as Error).message).toContain(missing);
  expect(statuses).not.toContain('reconnecting');
});

it('with assert: false, a dead letter no queue takes is reported and the original kept, not dropped', async () => {
  t = await testQueue('unroutable');
  await publish(t.admin, t.queue, '{broken', { codec: text });
  const errors: RxqError[] = [];
  const warnings: string[] = [];
  const logger = {
    ...silentLogger,
    warn: (_: Record<string, unknown>, message: string) => void warnings.push(message),
  };
  const source = fromQueue(t.connector({ assert: false }), { onError: (e) => errors.push(e), logger });
  const subscription = source.subscribe();
  await expect.poll(() => errors.length).toBeGreaterThan(0);
  expect(errors[0]?.code).toBe('NOT_FOUND');
  expect(warnings).toContain('amqp: the broker returned a copy no queue took');
  const ch = await t.admin.createChannel();
  await ch.assertQueue(`${t.queue}.dead`, { durable: true });
  await ch.close();
  await expect.poll(async () => (await t!.peek(`${t!.queue}.dead`)).length, { timeout: 5_000 }).toBe(1);
  subscription.unsubscribe();
  await source.stop();
  expect(await t.ready()).toBe(0);
});

it('errors the stream, not retryable, when the queue exists with another type, and says which option', async () => {
  t = await testQueue('mismatch', 'classic');
  const source = fromQueue(t.connector({ queueType: 'quorum' }));
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await collectUntil(source, () => false).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'AMQP_PRECONDITION_FAILED', retryable: false });
  expect((error as Error).message).toContain('queueType');
  expect(statuses).not.toContain('reconnecting');
  expect(await t.ready()).toBe(0); // the classic queue is still there, untouched
});
