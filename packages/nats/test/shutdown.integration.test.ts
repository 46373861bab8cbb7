import { gracefulStop } from '@rxq/core/testing';
import { afterEach, expect, it } from 'vitest';
import { testStream, type TestStream } from './helpers.js';

const N_MESSAGES = 3_000;

let t: TestStream | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('drains under load on a graceful stop: everything emitted settles, nothing acked comes back, nothing is lost', async () => {
  const stream = (t = await testStream('shutdown'));
  await stream.publish(Array.from({ length: N_MESSAGES }, (_, n) => ({ n })));
  const { records, handled, snapshot, rest } = await gracefulStop({
    connector: () => stream.connector(),
    total: N_MESSAGES,
    stopAfter: 1_000,
    maxInFlight: 64,
    concurrency: 32,
    drainTimeoutMs: 10_000,
  });
  const first = new Set(handled);
  // Stopped under load, with a full window in flight, and every emitted message settled.
  expect(snapshot.peakInFlight).toBe(64);
  expect(snapshot).toMatchObject({ inFlight: 0, released: 0, settleErrors: 0 });
  expect(records.every((r) => r.settlement === 'acked')).toBe(true);
  expect(records.length).toBeGreaterThanOrEqual(1_000);
  expect(records.length).toBeLessThan(N_MESSAGES);
  // What the stopped source pulled and did not emit went back at once (a nak'd message counts as
  // ack-pending on the server until it is delivered again, at once, to the next pull).
  const state = await stream.consumerState();
  expect(state.pending + state.ackPending).toBe(N_MESSAGES - records.length);
  // A new consumer gets exactly the rest.
  const second = await rest({ maxInFlight: 256 });
  const again = second.map((m) => m.body.n);
  // Only a message given back (pulled, never emitted) has a second delivery: at most one window.
  expect(second.filter((m) => m.attempt > 1).length).toBeLessThanOrEqual(64);
  expect(again.filter((n) => first.has(n))).toEqual([]);
  expect(new Set([...first, ...again]).size).toBe(N_MESSAGES);
}, 60_000);
