// atFixedRate on a real rxq source (the memory connector), in real time: bounds only, never exact
// times, so a busy machine cannot fail it.
import { ack, fromQueue, handle, type Connector } from '@rxq/core';
import { memory, MemoryQueue } from '@rxq/memory';
import { describe, expect, it } from 'vitest';
import { atFixedRate, type Overrun } from '../src/index.js';

/** The connector, recording when each fetch starts. */
function spied(connector: Connector, fetches: number[]): Connector {
  return {
    name: connector.name,
    defaultCodec: connector.defaultCodec!,
    async open(context) {
      const session = await connector.open(context);
      const receive = session.receive.bind(session);
      session.receive = (max) => {
        fetches.push(performance.now());
        return receive(max);
      };
      return session;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function consume(
  total: number,
  options: { periodMs: number; concurrency: number; handlerMs: (n: number) => number },
): Promise<{ fetches: number[]; handled: number[]; overruns: Overrun[] }> {
  const queue = new MemoryQueue<number>();
  queue.pushMany(Array.from({ length: total }, (_, n) => n));
  const fetches: number[] = [];
  const handled: number[] = [];
  const overruns: Overrun[] = [];
  const connector = atFixedRate(spied(memory(queue, { pollMs: 20 }), fetches), {
    periodMs: options.periodMs,
    onOverrun: (o) => overruns.push(o),
  });
  const source = fromQueue<number>(connector, { maxInFlight: 3 });
  await new Promise<void>((resolve, reject) => {
    let acked = 0;
    source
      .pipe(
        handle(
          async (m) => {
            await sleep(options.handlerMs(m.body));
            handled.push(m.body);
          },
          { concurrency: options.concurrency },
        ),
        ack(),
      )
      .subscribe({ next: () => ++acked === total && resolve(), error: reject });
  });
  await source.stop();
  return { fetches, handled, overruns };
}

describe('atFixedRate', () => {
  it('sequential: one fetch per period, each chunk handled in order, no overrun when the work fits', async () => {
    const { fetches, handled, overruns } = await consume(9, { periodMs: 150, concurrency: 1, handlerMs: () => 10 });
    expect(handled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(fetches.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < 3; i++) expect(fetches[i]! - fetches[i - 1]!).toBeGreaterThanOrEqual(149);
    // Each tick's 3 × 10 ms of work fits in 150 ms, unless the machine stalls for 120 ms.
    expect(overruns.every((o) => o.tookMs > 120)).toBe(true);
  });

  it('gathered: a slow chunk overruns, is reported with its time, and the next fetch starts at once without a burst', async () => {
    const { fetches, overruns } = await consume(12, {
      periodMs: 100,
      concurrency: 3,
      handlerMs: (n) => (n >= 3 && n < 6 ? 250 : 5),
    });
    const slow = overruns.find((o) => o.tick === 1);
    expect(slow).toBeDefined();
    expect(slow!.tookMs).toBeGreaterThanOrEqual(249);
    expect(slow!.periodMs).toBe(100);
    expect(slow!.lateMs).toBeCloseTo(slow!.tookMs - 100);
    // No sleep after the overrun: the third fetch follows the slow tick's end at once…
    expect(fetches[2]! - fetches[1]!).toBeLessThan(slow!.tookMs + 80);
    // …and no burst: the fourth waits its full period again.
    expect(fetches[3]! - fetches[2]!).toBeGreaterThanOrEqual(99);
  });

  it('rejects a bad period and unknown options', () => {
    const connector = memory(new MemoryQueue());
    expect(() => atFixedRate(connector, { periodMs: -1 })).toThrow(/periodMs/);
    expect(() => atFixedRate(connector, { periodMs: 10, onOverun: () => undefined } as never)).toThrow(
      /did you mean `onOverrun`/,
    );
  });
});
