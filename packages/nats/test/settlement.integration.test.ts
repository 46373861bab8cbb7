import { ack, fromQueue, handle, retryWithResend, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { tap } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import type { NatsDelivery } from '../src/index.js';
import { testStream, type TestStream } from './helpers.js';

type N = { n: number };
const bodies = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ n: from + i }));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The connector's typed view of what the server delivered (the core Message hides it). */
const transportOf = (m: Message<unknown>) => (m as unknown as { delivery: NatsDelivery }).delivery?.transport;

let t: TestStream | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('keeps the server at most maxInFlight ack-pending: buffered plus held', async () => {
  t = await testStream('bound');
  await t.publish(bodies(300));
  const source = fromQueue<N>(t.connector(), { maxInFlight: 10 });
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { ackPending } = await t.consumerState().catch(() => ({ ackPending: 0 }));
      peak = Math.max(peak, ackPending);
      await pause(5);
    }
  })();
  try {
    await collectUntil(
      source.pipe(
        handle(() => pause(2), { concurrency: 4 }),
        ack(),
      ),
      (rs) => rs.length === 300,
    );
  } finally {
    sampling = false;
    await sampler;
  }
  await source.stop();
  expect(peak).toBeGreaterThan(1);
  expect(peak).toBeLessThanOrEqual(10);
});

it('extends the ack wait while a message is held, and only then', async () => {
  t = await testStream('working');
  for (const extendAckWait of [true, false]) {
    await t.publish([{ n: extendAckWait ? 1 : 2 }]);
    const consumer = `c-${String(extendAckWait)}`;
    const source = fromQueue<N>(t.connector({ consumer, ackWaitMs: 1_000, extendAckWait }), { maxInFlight: 5 });
    const deliveries: number[] = [];
    const seen = await collectUntil(
      source.pipe(
        tap((m) => deliveries.push(m.attempt)),
        handle(async (m: Message<N>) => {
          if (m.attempt === 1) await pause(2_600); // more than twice the ack wait
        }),
        ack(),
      ),
      (rs) => rs.some((r) => r.attempt === 1),
      15_000,
    );
    await source.stop();
    expect(seen.length).toBeGreaterThan(0);
    // Extended: delivered once. Not extended: the server redelivered it while the handler ran.
    if (extendAckWait) expect(deliveries).toEqual([1]);
    else expect(deliveries).toContain(2);
  }
}, 30_000);

it('resends by nak with the delay: the same stream message, its delivery count as attempt', async () => {
  t = await testStream('nak');
  await t.publish([{ n: 1 }]);
  const source = fromQueue<N>(t.connector());
  const seen: { attempt: number; seq: number; count: number; at: number }[] = [];
  await collectUntil(
    source.pipe(
      tap((m) => {
        const tr = transportOf(m);
        seen.push({ attempt: m.attempt, seq: tr.streamSequence, count: tr.deliveryCount, at: Date.now() });
      }),
      handle((m: Message<N>) => {
        if (m.attempt < 3) throw new Error('again');
      }),
      retryWithResend({ maxAttempts: 5, backoff: () => 300 }),
      ack(),
    ),
    (rs) => rs.some((r) => r.settlement === 'acked'),
  );
  await source.stop();
  expect(seen.map((s) => [s.attempt, s.seq, s.count])).toEqual([
    [1, 1, 1],
    [2, 1, 2],
    [3, 1, 3],
  ]);
  expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(250);
  // One message in the stream: a resend is no copy.
  expect((await t.jsm.streams.info(t.stream)).state.messages).toBe(1);
});

it('dead-letters a copy with every original header, value by value, then terminates the original', async () => {
  t = await testStream('dlheaders');
  const h: MsgHdrs = headers();
  h.append('Trace', 'a');
  h.append('Trace', 'b');
  h.set('Content-Type', 'application/json; charset=utf-8');
  await jetstream(t.nc).publish(t.subject, JSON.stringify({ n: 1 }), { headers: h });
  const source = fromQueue<N>(t.connector());
  await collectUntil(
    source.pipe(tap((m) => void m.deadLetter('bad-order', new Error('no such sku')))),
    (ms) => ms.length === 1,
  );
  await source.stop();
  const [dead] = await t.stored(`${t.stream}_dead`);
  expect(dead?.subject).toBe(`rxq.dead.${t.stream}`);
  expect(dead?.header.values('Trace')).toEqual(['a', 'b']);
  expect(dead?.header.get('Content-Type')).toBe('application/json; charset=utf-8');
  expect(dead?.header.get('x-rxq-dead-reason')).toBe('bad-order');
  expect(dead?.header.get('x-rxq-error-message')).toBe('no such sku');
  expect(dead?.header.get('x-rxq-origin-sequence')).toBe('1');
  expect(new TextDecoder().decode(dead?.data)).toBe('{"n":1}');
  await expect.poll(() => t!.consumerState(), { timeout: 5_000 }).toEqual({ pending: 0, ackPending: 0 });
});

it('with deadLetterSubject false only terminates: never delivered again, no copy', async () => {
  t = await testStream('termonly');
  await t.publish([{ n: 1 }, { n: 2 }]);
  const source = fromQueue<N>(t.connector({ deadLetterSubject: false, ackWaitMs: 1_000 }));
  const seen = await collectUntil(
    source.pipe(tap((m) => void (m.body.n === 1 ? m.deadLetter('rejected') : m.ack()))),
    (ms) => ms.length === 2,
  );
  // After more than the ack wait nothing came back (a term the server did not take would).
  await pause(1_500);
  await source.stop();
  expect(seen.map((m) => m.body.n)).toEqual([1, 2]);
  expect(await t.consumerState()).toEqual({ pending: 0, ackPending: 0 });
  expect(await t.stored(`${t.stream}_dead`)).toEqual([]);
});

it('replays from a stream sequence or a time through an ephemeral consumer, deleted on close', async () => {
  t = await testStream('replay');
  await t.publish(bodies(5));
  await pause(20);
  const middle = Date.now();
  await pause(20);
  await t.publish(bodies(5, 5));
  const read = async (deliver: { sequence: number } | { time: number }) => {
    const source = fromQueue<N>(t!.connector({ ephemeral: true, deliver }));
    const ms = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.some((m) => m.body.n === 9));
    await source.stop();
    return ms.map((m) => m.body.n);
  };
  expect(await read({ sequence: 8 })).toEqual([7, 8, 9]);
  expect(await read({ time: middle })).toEqual([5, 6, 7, 8, 9]);
  expect(await t.jsm.consumers.list(t.stream).next()).toEqual([]);
});

it('emits in stream order, across pull requests', async () => {
  t = await testStream('order');
  await t.publish(bodies(1_000));
  const source = fromQueue<N>(t.connector(), { maxInFlight: 16 });
  const order: number[] = [];
  await collectUntil(
    source.pipe(
      tap((m) => order.push(m.body.n)),
      handle(() => pause(Math.random()), { concurrency: 8 }),
      ack(),
    ),
    (rs) => rs.length === 1_000,
  );
  await source.stop();
  expect(order).toEqual(bodies(1_000).map((b) => b.n));
});

it('asks for more while the open pull request waits for its last messages', async () => {
  t = await testStream('prepull');
  const stream = t.stream;
  const jsm = t.jsm;
  /** Resolves once the server holds `count` pull requests of the consumer (rejects after 10 s). */
  const waiting = async (count: number) => {
    let seen = -1;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await pause(20)) {
      seen = (await jsm.consumers.info(stream, `rxq-${stream}`).catch(() => undefined))?.num_waiting ?? -1;
      if (seen === count) return;
    }
    throw new Error(`${count} pull request(s) expected on the server, ${seen} seen`);
  };
  const source = fromQueue<N>(t.connector({ expiresMs: 30_000 }), { maxInFlight: 16 });
  let acked = 0;
  const counted: ((n: number) => void)[] = [];
  const subscription = source
    .pipe(
      handle(async () => undefined),
      ack(),
    )
    .subscribe(() => {
      acked++;
      for (const c of counted) c(acked);
    });
  const ackedAtLeast = (n: number) =>
    new Promise<void>((resolve) => {
      if (acked >= n) resolve();
      else counted.push((a) => a >= n && resolve());
    });
  try {
    // One request for the whole credit (16) waits on the empty stream.
    await waiting(1);
    // 13 fill it, and are settled: the credit is free again, the request waits for 3 more.
    await t.publish(bodies(13));
    await ackedAtLeast(13);
    // The next message leaves the request 2 short (fewer than a quarter of maxInFlight): the next
    // request goes out while it still waits.
    await t.publish(bodies(1, 13));
    await ackedAtLeast(14);
    await waiting(2);
  } finally {
    await source.stop();
    subscription.unsubscribe();
  }
}, 40_000);
