import { ack, fixed, fromQueue, handle, retryWithResend, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { tap } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { publish, publishMany } from '../src/index.js';
import { testQueue, type TestQueue } from './helpers.js';

interface N {
  n: number;
}
let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('never has more than maxInFlight unacked deliveries out: the rest stays ready in the broker', async () => {
  t = await testQueue('bounded');
  await publishMany(
    t.admin,
    t.queue,
    Array.from({ length: 60 }, (_, n) => ({ n })),
  );
  const source = fromQueue<N>(t.connector(), { maxInFlight: 7 });
  const held: Message<N>[] = [];
  const subscription = source.subscribe((m) => held.push(m));
  await expect.poll(() => held.length).toBe(7);
  await expect.poll(() => t!.ready(), { timeout: 5_000 }).toBe(53);
  expect(held).toHaveLength(7);
  for (const m of held.splice(0, 3)) await m.ack();
  await expect.poll(() => t!.ready(), { timeout: 5_000 }).toBe(50);
  expect(held).toHaveLength(7);
  expect(source.metrics.snapshot().peakInFlight).toBe(7);
  subscription.unsubscribe(); // releases the seven still held
  await source.stop();
  expect(source.metrics.snapshot()).toMatchObject({ received: 10, acked: 3, released: 7, inFlight: 0 });
  await expect.poll(() => t!.ready(), { timeout: 5_000 }).toBe(57);
});

it('keeps counting attempts across delayed resends, then dead-letters with the error', async () => {
  t = await testQueue('resend');
  await publish(t.admin, t.queue, { n: 1 });
  const connector = t.connector();
  const source = fromQueue<N>(connector);
  const records = await collectUntil(
    source.pipe(
      handle(() => {
        throw new TypeError('nope');
      }),
      retryWithResend({ maxAttempts: 4, backoff: fixed({ delayMs: 150 }) }),
      ack(),
    ),
    (rs) => rs.length === 4,
  );
  await source.stop();
  expect(records.map((r) => [r.attempt, r.settlement])).toEqual([
    [1, 'resent'],
    [2, 'resent'],
    [3, 'resent'],
    [4, 'dead-lettered'],
  ]);
  expect([...connector.delayQueues]).toEqual([`${t.queue}.delay.150`]);
  const dead = await t.peek(connector.deadLetterQueue);
  expect(dead).toHaveLength(1);
  expect(JSON.parse(dead[0]!.content.toString())).toEqual({ n: 1 });
  expect(dead[0]!.properties.headers).toMatchObject({
    'x-rxq-attempt': '4',
    'x-rxq-dead-reason': 'max-attempts',
    'x-rxq-error-name': 'TypeError',
    'x-rxq-error-message': 'nope',
    'x-rxq-origin': t.queue,
  });
  // Went through the delay queue three times, yet carries none of the broker's dead-letter headers.
  expect(
    Object.keys(dead[0]!.properties.headers ?? {}).filter((k) => /^x-(death|first-death|last-death)/.test(k)),
  ).toEqual([]);
  expect(await t.ready()).toBe(0);
});

for (const queueType of ['classic', 'quorum'] as const) {
  const expected = queueType === 'quorum' ? [1, 2, 3] : [1, 2, 2];
  it(`counts broker redeliveries of a ${queueType} queue as attempts ${expected.join(', ')}`, async () => {
    t = await testQueue(`attempts.${queueType}`, queueType);
    await publish(t.admin, t.queue, { n: 1 }, { headers: { 'x-custom': 5, tenant: Buffer.from('acme') } });
    const source = fromQueue<N>(t.connector());
    let deliveries = 0;
    const seen = await collectUntil(
      source.pipe(tap((m) => void (++deliveries < 3 ? m.nack() : m.ack()))),
      (ms) => ms.length === 3,
    );
    await source.stop();
    expect(seen.map((m) => m.attempt)).toEqual(expected);
    expect(seen.every((m) => m.body.n === 1)).toBe(true);
    expect(seen[0]!.headers).toMatchObject({ 'x-custom': '5', tenant: 'acme' });
  });
}
