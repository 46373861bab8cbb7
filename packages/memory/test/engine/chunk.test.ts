import { describe, expect, it } from 'vitest';
import { ack, type Batch, chunk, fromQueue, handle, PartialFailure, retryWithResend } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory } from '../../src/index.js';

describe('chunk through a memory source', () => {
  it('settles a batch message by message: a PartialFailure resends only the failed ones', async () => {
    const queue = new MemoryQueue<number>();
    queue.pushMany([0, 1, 2, 3, 4, 5]);
    const source = fromQueue<number>(memory(queue, { pollMs: 20 }), { maxInFlight: 6 });
    const batches: number[][] = [];
    const records = await collectUntil(
      source.pipe(
        chunk({ size: 3, maxWaitMs: 10 }),
        handle((batch: Batch<number>) => {
          batches.push(batch.map((m) => m.body));
          const odd = batch.filter((m) => m.body % 2 === 1 && m.attempt === 1);
          if (odd.length > 0) throw new PartialFailure(odd, new Error('odd'));
        }),
        retryWithResend({ maxAttempts: 2 }),
        ack(),
      ),
      (rs) => rs.filter((r) => r.settlement === 'acked').length === 6,
    );
    await source.stop();
    expect(batches.slice(0, 2)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const byMessage = records.map((r) => `${r.settlement}@${r.attempt}`);
    expect(byMessage.filter((r) => r === 'acked@1')).toHaveLength(3);
    expect(byMessage.filter((r) => r === 'resent@1')).toHaveLength(3);
    expect(byMessage.filter((r) => r === 'acked@2')).toHaveLength(3);
    expect(queue.size).toBe(0);
    expect(source.metrics.snapshot()).toMatchObject({ acked: 6, resent: 3, inFlight: 0 });
  });

  it('with maxInFlight below size, flushes partial batches after maxWaitMs instead of stalling', async () => {
    const queue = new MemoryQueue<number>();
    queue.pushMany([0, 1, 2, 3, 4]);
    const source = fromQueue<number>(memory(queue, { pollMs: 20 }), { maxInFlight: 2 });
    const records = await collectUntil(
      source.pipe(
        chunk({ size: 10, maxWaitMs: 5 }),
        handle((batch: Batch<number>) => batch.length),
        ack(),
      ),
      (rs) => rs.length === 5,
    );
    await source.stop();
    expect(records.every((r) => r.settlement === 'acked')).toBe(true);
    expect(source.metrics.snapshot().peakInFlight).toBeLessThanOrEqual(2);
  });
});
