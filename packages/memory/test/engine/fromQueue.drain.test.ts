import { filter, firstValueFrom, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Connector, type Delivery, fromQueue, type Message } from '@rxq/core';
import { MemoryQueue, memory } from '../../src/index.js';

describe('fromQueue: drainTimeoutMs Infinity', () => {
  it('waits for in-flight messages for as long as they take, instead of releasing them after 1 ms', async () => {
    // the ledger's `drained()` calls setTimeout(done, drainTimeoutMs); Node clamps Infinity (or anything
    // above 2^31-1 ms) to 1 ms, so "wait for ever" releases everything in flight at once.
    const queue = new MemoryQueue<number>();
    queue.pushMany([1, 2]);
    const stop = new Subject<void>();
    const source = fromQueue<number>(memory(queue, { pollMs: 20 }), { stop, drainTimeoutMs: Infinity });
    const held: Message<number>[] = [];
    const subscription = source.subscribe((m) => held.push(m));
    await firstValueFrom(source.metrics.observe(1).pipe(filter((s) => s.inFlight === 2)));
    stop.next();
    await firstValueFrom(source.status$.pipe(filter((e) => e.status === 'draining')));
    // Give a 1 ms timer ample room to fire; a correct drain is still waiting for the two messages.
    await firstValueFrom(source.metrics.observe(50).pipe(filter((_, i) => i === 1)));
    expect(held.map((m) => m.settlement)).toEqual([undefined, undefined]);
    for (const m of held) await m.ack();
    await firstValueFrom(source.status$.pipe(filter((e) => e.status === 'closed')));
    expect(source.metrics.snapshot()).toMatchObject({ acked: 2, released: 0 });
    subscription.unsubscribe();
  });
});

describe('fromQueue: stop while a receive is pending', () => {
  it('closes the session to end a pending receive instead of waiting out its poll', async () => {
    // Run's finish() awaits every pending op, the late receive included, before it calls
    // session.close(); the Session contract says close() stops a pending receive. So every stop
    // of an idle source takes the connector's whole poll interval (memory: pollMs, 1 s by default;
    // the memory contract suite spends about 4 s on it). This connector honours the contract.
    let closes = 0;
    const connector: Connector = {
      name: 'long-poll',
      open: () => {
        let wake: (ds: readonly Delivery[]) => void = () => undefined;
        const timers = new Set<NodeJS.Timeout>();
        return Promise.resolve({
          receive: () =>
            new Promise<readonly Delivery[]>((resolve) => {
              const t = setTimeout(() => resolve([]), 5_000);
              timers.add(t);
              wake = resolve;
            }),
          ack: () => undefined,
          requeue: () => undefined,
          resend: () => Promise.resolve(),
          deadLetter: () => Promise.resolve(),
          close: () => {
            closes++;
            for (const t of timers) clearTimeout(t);
            wake([]);
            return Promise.resolve();
          },
        });
      },
    };
    const source = fromQueue(connector);
    const subscription = source.subscribe();
    await firstValueFrom(source.status$.pipe(filter((e) => e.status === 'connected')));
    const started = performance.now();
    await source.stop();
    expect(closes).toBe(1);
    expect(performance.now() - started).toBeLessThan(1_000);
    subscription.unsubscribe();
  });
});
