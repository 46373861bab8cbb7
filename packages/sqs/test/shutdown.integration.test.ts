import { ack, fromQueue, handle, type Message } from '@rxq/core';
import { collectAll } from '@rxq/core/testing';
import { Subject, tap } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { testQueue, type TestQueue } from './helpers.js';

type N = { n: number };
const N_MESSAGES = 1_500;

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('drains under load on a graceful stop: everything emitted settles, nothing acked comes back, nothing is lost', async () => {
  t = await testQueue('shutdown');
  await t.send(Array.from({ length: N_MESSAGES }, (_, n) => ({ n })));
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
        if (r.settlement === 'acked' && ++acked === 500) stop.next();
      }),
    ),
    30_000,
  );
  const snapshot = source.metrics.snapshot();
  expect(snapshot.peakInFlight).toBeGreaterThan(20); // under load
  expect(snapshot.peakInFlight).toBeLessThanOrEqual(64);
  expect(snapshot).toMatchObject({ inFlight: 0, released: 0, settleErrors: 0 });
  expect(records.every((r) => r.settlement === 'acked')).toBe(true);
  expect(records.length).toBeGreaterThanOrEqual(500);
  expect(records.length).toBeLessThan(N_MESSAGES);
  // Everything acked is deleted, and what was received and not emitted is visible again at once.
  expect(await t.counts()).toEqual({ visible: N_MESSAGES - records.length, inFlight: 0, delayed: 0 });
  const rest = fromQueue<N>(t.connector(), { maxInFlight: 100 });
  const again: number[] = [];
  const sub = rest.subscribe((m) => {
    again.push(m.body.n);
    void m.ack();
  });
  await expect.poll(() => again.length, { timeout: 20_000 }).toBe(N_MESSAGES - records.length);
  await rest.stop();
  sub.unsubscribe();
  expect(again.filter((n) => first.has(n))).toEqual([]);
  expect(new Set([...first, ...again]).size).toBe(N_MESSAGES);
}, 60_000);
