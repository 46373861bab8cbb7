import { gracefulStop } from '@rxq/core/testing';
import { afterEach, expect, it } from 'vitest';
import { testQueue, type TestQueue } from './helpers.js';

const N_MESSAGES = 1_500;

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('drains under load on a graceful stop: everything emitted settles, nothing acked comes back, nothing is lost', async () => {
  const queue = (t = await testQueue('shutdown'));
  await queue.send(Array.from({ length: N_MESSAGES }, (_, n) => ({ n })));
  const { records, handled, snapshot, rest } = await gracefulStop({
    connector: () => queue.connector(),
    total: N_MESSAGES,
    stopAfter: 500,
    maxInFlight: 64,
    concurrency: 32,
    drainTimeoutMs: 10_000,
  });
  const first = new Set(handled);
  expect(snapshot.peakInFlight).toBeGreaterThan(20); // under load
  expect(snapshot.peakInFlight).toBeLessThanOrEqual(64);
  expect(snapshot).toMatchObject({ inFlight: 0, released: 0, settleErrors: 0 });
  expect(records.every((r) => r.settlement === 'acked')).toBe(true);
  expect(records.length).toBeGreaterThanOrEqual(500);
  expect(records.length).toBeLessThan(N_MESSAGES);
  // Everything acked is deleted, and what was received and not emitted is visible again at once.
  expect(await queue.counts()).toEqual({ visible: N_MESSAGES - records.length, inFlight: 0, delayed: 0 });
  const again = (await rest({ maxInFlight: 100, timeoutMs: 20_000 })).map((m) => m.body.n);
  expect(again).toHaveLength(N_MESSAGES - records.length);
  expect(again.filter((n) => first.has(n))).toEqual([]);
  expect(new Set([...first, ...again]).size).toBe(N_MESSAGES);
}, 60_000);
