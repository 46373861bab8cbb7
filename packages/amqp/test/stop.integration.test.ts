import { ack, fromQueue, handle, ShutdownError, type Message } from '@rxq/core';
import { collectAll, collectUntil } from '@rxq/core/testing';
import { filter, firstValueFrom, Subject } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { publishMany } from '../src/index.js';
import { BROKER_URL, testQueue, type TestQueue } from './helpers.js';

let q: TestQueue | undefined;
afterEach(async () => {
  await q?.close();
  q = undefined;
});

// A stop means stop, on a real broker: with 2 s handlers that ignore their signal and a 500 ms
// drain, the stop completes within the drain plus a bounded close, starts no handler on a message
// it handed back, aborts the running handlers' signals, and a next consumer gets every message.
it('a stop after drainTimeoutMs starts no handler on released messages and does not wait for the running ones', async () => {
  q = await testQueue('stop');
  const queue = q.queue;
  await publishMany(
    BROKER_URL,
    queue,
    Array.from({ length: 20 }, (_, n) => ({ n })),
  );
  const stop = new Subject<void>();
  const source = fromQueue<{ n: number }>(q.connector(), {
    maxInFlight: 10,
    stop,
    drainTimeoutMs: 500,
  });
  const started: number[] = [];
  const signals: AbortSignal[] = [];
  let handlersDone = 0;
  const records = collectAll(
    source.pipe(
      handle(
        async (m: Message<{ n: number }>, { signal }) => {
          started.push(m.body.n);
          signals.push(signal);
          await new Promise((resolve) => setTimeout(resolve, 2_000)); // ignores its signal
          handlersDone++;
        },
        { concurrency: 2 },
      ),
      ack(),
    ),
    10_000,
  );
  await firstValueFrom(source.metrics.observe(5).pipe(filter((s) => s.inFlight === 10 && started.length === 2)));
  const stoppedAt = performance.now();
  stop.next();
  expect(await records).toEqual([]);
  const stopMs = performance.now() - stoppedAt;
  expect(stopMs).toBeLessThan(1_500); // 500 ms drain + a bounded close, not the 2 s handlers
  expect(handlersDone).toBe(0);
  expect(started).toHaveLength(2);
  expect(signals.every((s) => s.aborted && s.reason instanceof ShutdownError)).toBe(true);
  expect(source.metrics.snapshot()).toMatchObject({ released: 10, acked: 0, inFlight: 0 });

  // The next consumer gets all 20; the first one's handlers, when they end, start nothing more.
  const next = fromQueue<{ n: number }>(q.connector());
  const seen = new Set<number>();
  await collectUntil(
    next.pipe(
      handle((m: Message<{ n: number }>) => void seen.add(m.body.n)),
      ack(),
    ),
    () => seen.size >= 20,
    20_000,
  );
  await next.stop();
  expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n));
  expect(started).toHaveLength(2);
});
