import { filter, firstValueFrom, map, merge, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Connector, consume, fromQueue, json, RxqError } from '@rxq/core';
import { MemoryQueue, memory } from '../../src/index.js';

interface Order {
  id: number;
}

describe('fromQueue options', () => {
  it('takes the shared json codec for a typed body', async () => {
    const queue = new MemoryQueue<string>();
    queue.push(JSON.stringify({ id: 7 }));
    const source = fromQueue<Order>(memory(queue), { codec: json });
    const message = await firstValueFrom(source);
    expect(message.body.id).toBe(7);
  });

  it('stops gracefully when the stop Observable errors', async () => {
    const queue = new MemoryQueue<number>();
    queue.pushMany([1, 2, 3]);
    const stop = new Subject<void>();
    const source = fromQueue<number>(memory(queue), { stop });
    const seen: number[] = [];
    const completed = new Promise<void>((resolve, reject) =>
      source.subscribe({
        next: (m) => {
          seen.push(m.body);
          void m.ack();
          if (seen.length === 1) stop.error(new Error('signal source broke'));
        },
        error: reject,
        complete: resolve,
      }),
    );
    await completed;
    expect(source.metrics.snapshot().inFlight).toBe(0);
    expect(seen.length + queue.size).toBe(3);
  });

  it('ignores a stop Observable that completes without a signal', async () => {
    const queue = new MemoryQueue<number>();
    const quiet = new Subject<void>();
    quiet.complete();
    const open = fromQueue<number>(memory(queue, { pollMs: 10 }), { stop: quiet });
    const sub = open.subscribe();
    await firstValueFrom(open.status$.pipe(filter((s) => s.status === 'connected')));
    queue.push(5);
    // Whichever comes first: the message, or the source stopping because the signal completed.
    const first = await firstValueFrom(
      merge(
        open.metrics.observe(5).pipe(
          filter((m) => m.received === 1),
          map(() => 'received'),
        ),
        open.status$.pipe(
          filter((s) => s.status === 'draining' || s.status === 'closed'),
          map((s) => s.status),
        ),
      ),
    );
    expect(first).toBe('received');
    expect(open.metrics.snapshot().received).toBe(1);
    sub.unsubscribe();
  });
});

describe('consume', () => {
  it('does not leave an unhandled rejection when the source gives up and nobody awaits done', async () => {
    const connector: Connector = {
      name: 'refused',
      open: () => Promise.reject(new RxqError('AUTH', 'refused', { retryable: false })),
    };
    const consumer = consume(connector, () => undefined);
    await firstValueFrom(consumer.status$.pipe(filter((s) => s.status === 'closed')));
    // vitest fails the run on an unhandled rejection; awaiting still reports the error.
    await expect(consumer.done).rejects.toThrow('refused');
  });
});
