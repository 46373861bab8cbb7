import { filter, firstValueFrom, Subject, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ack,
  chunk,
  CloseError,
  type Connector,
  fromQueue,
  handle,
  identity,
  type Message,
  type RxqError,
  ShutdownError,
  silentLogger,
} from '@rxq/core';
import { collectAll, collectUntil, until } from '@rxq/core/testing';
import { MemoryQueue, memory } from '../../src/index.js';

/** A promise and its resolve, for handlers that hang until the test lets them go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const numbers = (count: number): MemoryQueue<number> => {
  const queue = new MemoryQueue<number>();
  queue.pushMany(Array.from({ length: count }, (_, i) => i));
  return queue;
};

describe('a stop means stop (drain timeout)', () => {
  it('starts no handler on a released message, aborts the running ones, and completes without waiting for them', async () => {
    const queue = numbers(10);
    const stop = new Subject<void>();
    const source = fromQueue(memory(queue, { pollMs: 20 }), {
      maxInFlight: 10,
      stop,
      drainTimeoutMs: 300,
      logger: silentLogger,
    });
    const hang = gate();
    const started: number[] = [];
    const signals: AbortSignal[] = [];
    const twoStarted = gate();
    const records = collectAll(
      source.pipe(
        handle(
          async (m: Message<number>, { signal }) => {
            started.push(m.body);
            signals.push(signal);
            if (started.length === 2) twoStarted.open();
            await hang.promise; // ignores its signal: the worst case
          },
          { concurrency: 2 },
        ),
        ack(),
      ),
      5_000,
    );
    await twoStarted.promise;
    await firstValueFrom(source.metrics.observe(5).pipe(filter((s) => s.inFlight === 10)));
    stop.next();
    // The stream completes although both handlers still hang (they never return before this).
    const out = await records;
    expect(out).toEqual([]);
    expect(started).toEqual([0, 1]);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(signals.every((s) => s.reason instanceof ShutdownError)).toBe(true);
    expect(source.metrics.snapshot()).toMatchObject({ released: 10, acked: 0, inFlight: 0 });
    // All ten are back in the queue, in order, as they were (no attempt counted).
    expect(queue.size).toBe(10);
    // Letting the handlers go starts nothing more.
    hang.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    expect(await queue.pullMany(10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('aborts context.signal as soon as a drain begins: a handler that honours it gives its message back', async () => {
    const queue = numbers(3);
    const stop = new Subject<void>();
    const source = fromQueue(memory(queue, { pollMs: 20 }), {
      maxInFlight: 3,
      stop,
      drainTimeoutMs: 60_000,
      logger: silentLogger,
    });
    const started = gate();
    let count = 0;
    const records = collectAll(
      source.pipe(
        handle(
          (m: Message<number>, { signal }) =>
            new Promise<void>((resolve, reject) => {
              if (m.body === 2) return resolve(); // finishes: acked as usual
              if (++count === 2) started.open();
              signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
            }),
          { concurrency: 3 },
        ),
        ack(),
      ),
      5_000,
    );
    await started.promise;
    stop.next();
    // Far sooner than the 60 s drain: the two long handlers ended on the signal.
    const out = await records;
    expect(out.map((r) => [r.settlement, r.ok]).sort()).toEqual([
      ['acked', true],
      ['released', false],
      ['released', false],
    ]);
    expect(out.filter((r) => !r.ok).every((r) => r.error instanceof ShutdownError)).toBe(true);
    expect(source.metrics.snapshot()).toMatchObject({ acked: 1, released: 2, resent: 0, requeued: 0, inFlight: 0 });
    // Back in the queue with no attempt counted: a new source sees attempt 1.
    const again = fromQueue(memory(queue, { pollMs: 20 }), { logger: silentLogger });
    const back = await collectUntil(again, (ms) => ms.length === 2);
    expect(back.map((m) => [m.body, m.attempt]).sort()).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('gives a handler that starts during the drain an aborted signal, and settles what it finishes', async () => {
    const queue = numbers(2);
    const stop = new Subject<void>();
    const source = fromQueue(memory(queue, { pollMs: 20 }), { maxInFlight: 2, stop, logger: silentLogger });
    const first = gate();
    const aborted: boolean[] = [];
    const records = collectAll(
      source.pipe(
        handle(
          async (m: Message<number>, { signal }) => {
            aborted.push(signal.aborted);
            if (m.body === 0) {
              stop.next();
              await first.promise;
            }
          },
          { concurrency: 1 },
        ),
        ack(),
      ),
      5_000,
    );
    await firstValueFrom(source.status$.pipe(filter((e) => e.status === 'draining')));
    first.open();
    const out = await records;
    expect(out.map((r) => r.settlement)).toEqual(['acked', 'acked']);
    expect(aborted).toEqual([false, true]);
  });

  it('bounds the close: a session whose close hangs does not hold the stop past closeTimeoutMs', async () => {
    const queue = numbers(1);
    const inner = memory(queue, { pollMs: 20 });
    const hanging: Connector = {
      name: 'hanging-close',
      open: async (context) => {
        const session = await inner.open(context);
        return { ...session, close: () => new Promise<void>(() => undefined) };
      },
    };
    const errors: RxqError[] = [];
    const source = fromQueue(hanging, {
      codec: identity,
      closeTimeoutMs: 200,
      onError: (e) => errors.push(e),
      logger: silentLogger,
    });
    const subscription = source.subscribe((m) => void m.ack());
    await firstValueFrom(source.metrics.observe(5).pipe(filter((s) => s.acked === 1)));
    const stopped = source.stop();
    await expect(
      Promise.race([stopped.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hung'), 3_000))]),
    ).resolves.toBe('stopped');
    expect(errors.map((e) => e.constructor)).toEqual([CloseError]);
    expect(errors[0]?.code).toBe('CLOSE_FAILED');
    subscription.unsubscribe();
  });

  for (const [kind, operators] of [
    [
      'keyed',
      (run: (m: Message<number>) => Promise<void>) => [handle(run, { concurrency: 2, key: (m) => m.body % 3 })],
    ],
    [
      'batched',
      (run: (m: Message<number>) => Promise<void>) => [
        chunk<number>({ size: 2, maxWaitMs: 10 }),
        handle((batch: readonly Message<number>[]) => Promise.all(batch.map(run)), { concurrency: 1 }),
      ],
    ],
  ] as const) {
    it(`${kind}: queued items of released messages never start, and the stop completes`, async () => {
      const queue = numbers(12);
      const stop = new Subject<void>();
      const source = fromQueue(memory(queue, { pollMs: 20 }), {
        maxInFlight: 12,
        stop,
        drainTimeoutMs: 100,
        logger: silentLogger,
      });
      const hang = gate();
      const started: number[] = [];
      const someStarted = gate();
      const ops = operators(async (m) => {
        started.push(m.body);
        someStarted.open();
        await hang.promise;
      });
      const piped = (source.pipe as (...fns: unknown[]) => typeof source)(...ops, ack());
      const done = collectAll(piped, 5_000);
      await someStarted.promise;
      await firstValueFrom(source.metrics.observe(5).pipe(filter((s) => s.inFlight === 12)));
      const before = [...started];
      stop.next();
      await done;
      expect(started).toEqual(before);
      expect(source.metrics.snapshot()).toMatchObject({ released: 12, inFlight: 0 });
      hang.open();
      await new Promise((resolve) => setImmediate(resolve));
      expect(started).toEqual(before);
      expect(queue.size).toBe(12);
    });
  }

  it('a handler slot that frees up after the release starts nothing, even while the close is still running', async () => {
    const queue = numbers(6);
    const inner = memory(queue, { pollMs: 20 });
    const closing = gate();
    const slowClose: Connector = {
      name: 'slow-close',
      open: async (context) => {
        const session = await inner.open(context);
        return { ...session, close: () => closing.promise.then(() => session.close()) };
      },
    };
    const stop = new Subject<void>();
    const source = fromQueue(slowClose, {
      codec: identity,
      maxInFlight: 6,
      stop,
      drainTimeoutMs: 50,
      logger: silentLogger,
    });
    const hang = gate();
    const started: unknown[] = [];
    const twoStarted = gate();
    const twoSettled = gate();
    let settled = 0;
    const done = collectAll(
      source.pipe(
        handle(
          async (m: Message<unknown>) => {
            started.push(m.body);
            if (started.length === 2) twoStarted.open();
            await hang.promise;
          },
          { concurrency: 2 },
        ),
        ack(),
        tap(() => ++settled === 2 && twoSettled.open()),
      ),
      5_000,
    );
    await twoStarted.promise;
    await firstValueFrom(source.metrics.observe(5).pipe(filter((s) => s.inFlight === 6)));
    stop.next();
    await firstValueFrom(source.metrics.observe(5).pipe(filter((s) => s.released === 6)));
    // Released, the close still pending: the two handlers finish and free their slots.
    // A handler slot frees as its outcome goes out: once both are through ack, nothing started.
    hang.open();
    await twoSettled.promise;
    expect(started).toEqual([0, 1]);
    closing.open();
    const records = await done;
    expect(records.map((r) => r.settlement)).toEqual(['released', 'released']);
    expect(queue.size).toBe(6);
  });

  it('a stop while the connector is still opening does not wait for the open, and closes the late session', async () => {
    const opened = gate();
    let closed = 0;
    const slowOpen: Connector = {
      name: 'slow-open',
      open: async (context) => {
        await opened.promise;
        const session = await memory(numbers(1), { pollMs: 20 }).open(context);
        return { ...session, close: () => ((closed += 1), session.close()) };
      },
    };
    const source = fromQueue(slowOpen, { codec: identity, closeTimeoutMs: 100, logger: silentLogger });
    const done = collectAll(source, 5_000);
    await firstValueFrom(source.status$.pipe(filter((e) => e.status === 'connecting')));
    await source.stop();
    expect(await done).toEqual([]);
    opened.open();
    await until(() => closed === 1, { timeoutMs: 2_000 });
    expect(closed).toBe(1);
  });

  it('unsubscribing aborts running handlers with a ShutdownError too', async () => {
    const queue = numbers(1);
    const source = fromQueue(memory(queue, { pollMs: 20 }), { logger: silentLogger });
    const started = gate();
    let seen: AbortSignal | undefined;
    const sub = source
      .pipe(
        handle(async (_m: Message<number>, { signal }) => {
          seen = signal;
          started.open();
          await new Promise(() => undefined);
        }),
      )
      .subscribe();
    await started.promise;
    sub.unsubscribe();
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(ShutdownError);
  });
});

describe('handlers that read their signal', () => {
  it('64 at once raise no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const queue = numbers(200);
      const source = fromQueue(memory(queue, { pollMs: 20 }), { maxInFlight: 128, logger: silentLogger });
      const records = await collectUntil(
        source.pipe(
          handle(
            async (_m: Message<number>, { signal }) => {
              await new Promise((resolve) => setTimeout(resolve, 1));
              return signal.aborted;
            },
            { concurrency: 64 },
          ),
          ack(),
        ),
        (rs) => rs.length === 200,
      );
      await source.stop();
      // A warning is emitted on the next tick: let it arrive before looking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(records).toHaveLength(200);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
