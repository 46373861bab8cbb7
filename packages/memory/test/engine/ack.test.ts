import { tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ack, type AckOptions, fixed, fromQueue, handle, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory } from '../../src/index.js';

/** The policy that requeues a failure at once, for ever (no longer the default: it spins). */
const requeueAtOnce: AckOptions = { backoff: fixed(), maxAttempts: Infinity };

describe('ack on a memory source', () => {
  it('settles for real: acked messages are gone, nacked ones come back with attempt + 1', async () => {
    const queue = new MemoryQueue<string>();
    queue.pushMany(['good', 'bad']);
    const source = fromQueue<string>(memory(queue, { pollMs: 20 }));
    const out = await collectUntil(
      source.pipe(
        handle((m: Message<string>) => {
          if (m.body === 'bad' && m.attempt === 1) throw new Error('first try fails');
          return m.body;
        }),
        ack(requeueAtOnce),
      ),
      (rs) => rs.length === 3,
    );
    await source.stop();
    expect(out.map((r) => [r.settlement, r.attempt])).toEqual([
      ['acked', 1],
      ['requeued', 1],
      ['acked', 2],
    ]);
    expect(queue.size).toBe(0);
    expect(source.metrics.snapshot()).toMatchObject({ received: 3, acked: 2, requeued: 1, inFlight: 0 });
  });

  it('settling twice is harmless: the second call does nothing', async () => {
    const queue = new MemoryQueue<string>();
    const connector = memory(queue, { pollMs: 20 });
    queue.pushMany(['a', 'b']);
    const source = fromQueue<string>(connector);
    const settledTwice = await collectUntil(
      source.pipe(
        tap((m) => {
          void m.ack();
          void m.nack();
          void m.resend();
          void m.deadLetter('late');
        }),
      ),
      (ms) => ms.length === 2,
    );
    await source.stop();
    expect(settledTwice.map((m) => m.settlement)).toEqual(['acked', 'acked']);
    expect(await settledTwice[0]?.ack()).toBeUndefined();
    expect(queue.size).toBe(0);
    expect(connector.deadLetters.size).toBe(0);
    expect(source.metrics.snapshot()).toMatchObject({ acked: 2, requeued: 0, resent: 0, deadLettered: 0 });
  });
});
