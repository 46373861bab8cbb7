import { describe, expect, it } from 'vitest';
import { ack, fixed, fromQueue, handle, type Message, silentLogger } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory } from '../../src/index.js';

describe('ack: a failure without a retry policy does not spin', () => {
  it('on a memory source: five failing messages are tried five times each, then dead-lettered', async () => {
    const queue = new MemoryQueue<number>();
    queue.pushMany([1, 2, 3, 4, 5]);
    const connector = memory(queue, { pollMs: 20 });
    const source = fromQueue(connector, { logger: silentLogger });
    const records = await collectUntil(
      source.pipe(
        handle((_: Message<number>) => {
          throw new Error('always');
        }),
        ack({ backoff: fixed({ delayMs: 10 }) }),
      ),
      () => connector.deadLetters.size === 5,
    );
    await source.stop();
    expect(records).toHaveLength(25);
    expect(source.metrics.snapshot()).toMatchObject({ received: 25, resent: 20, deadLettered: 5, inFlight: 0 });
    const dead = await connector.deadLetters.pullMany(5);
    expect(dead.map((d) => [d.value, d.reason, d.attempt]).sort()).toEqual([
      [1, 'max-attempts', 5],
      [2, 'max-attempts', 5],
      [3, 'max-attempts', 5],
      [4, 'max-attempts', 5],
      [5, 'max-attempts', 5],
    ]);
  });
});
