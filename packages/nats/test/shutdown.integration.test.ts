import { ack, fromQueue, handle, type Message } from '@rxq/core';
import { collectAll, collectUntil } from '@rxq/core/testing';
import { Subject, tap } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { testStream, type TestStream } from './helpers.js';

type N = { n: number };
const N_MESSAGES = 3_000;

let t: TestStream | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('drains under load on a graceful stop: everything emitted settles, nothing acked comes back, nothing is lost', async () => {
  t = await testStream('shutdown');
  await t.publish(Array.from({ length: N_MESSAGES }, (_, n) => ({ n })));
  const stop = new Subject<void>();
  const source = fromQueue<N>(t.connector(), { maxInFlight: 64, stop, drainTimeoutMs: 10_000 });
  const first = new Set<number>();
  let acked = 0;
  const records = await collectAll(
    source.pipe(
      handle(
        async (m: Message<N>) => {
          await new Promise((r) => setTimeout(r, 1 + Math.random() * 4));
          first.add(m.body.n);
        },
        { concurrency: 32 },
      ),
      ack(),
      tap((r) => {
        if (r.settlement === 'acked' && ++acked === 1_000) stop.next();
      }),
    ),
    30_000,
  );
  const snapshot = source.metrics.snapshot();
  // Stopped under load, with a full window in flight, and every emitted message settled.
  expect(snapshot.peakInFlight).toBe(64);
  expect(snapshot).toMatchObject({ inFlight: 0, released: 0, settleErrors: 0 });
  expect(records.every((r) => r.settlement === 'acked')).toBe(true);
  expect(records.length).toBeGreaterThanOrEqual(1_000);
  expect(records.length).toBeLessThan(N_MESSAGES);
  // What the stopped source pulled and did not emit went back at once (a nak'd message counts as
  // ack-pending on the server until it is delivered again, at once, to the next pull).
  const state = await t.consumerState();
  expect(state.pending + state.ackPending).toBe(N_MESSAGES - records.length);
  // A new consumer gets exactly the rest.
  const rest = fromQueue<N>(t.connector(), { maxInFlight: 256 });
  const second = await collectUntil(
    rest.pipe(tap((m) => void m.ack())),
    (ms) => ms.length === N_MESSAGES - records.length,
  );
  await rest.stop();
  const again = second.map((m) => m.body.n);
  // Only a message given back (pulled, never emitted) has a second delivery: at most one window.
  expect(second.filter((m) => m.attempt > 1).length).toBeLessThanOrEqual(64);
  expect(again.filter((n) => first.has(n))).toEqual([]);
  expect(new Set([...first, ...again]).size).toBe(N_MESSAGES);
}, 60_000);
