import { ack, chunk, fromQueue, handle, HEADERS, retryWithResend, silentLogger, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { filter, firstValueFrom, merge, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryQueue } from './memoryQueue.js';
import { memory, type DeadLetter } from './memory.js';

const original = { 'trace-id': 'abc', 'content-type': 'application/x-order', 'x-empty': '', 'x-ünï': 'çødé ✓' };

describe('memory: copies keep every header of the original', () => {
  it('a pushed message shows its headers, and has no transport beside them', async () => {
    const queue = new MemoryQueue<number>();
    queue.push(1, { headers: original });
    const source = fromQueue(memory(queue, { pollMs: 20 }), { logger: silentLogger });
    const [m] = await collectUntil(source, (ms) => ms.length === 1);
    expect(m?.headers).toEqual(original);
    expect(m?.transport).toBeUndefined();
    expect(m?.attempt).toBe(1);
  });

  it('resends and dead letters carry every original header, plus rxq’s own', async () => {
    const queue = new MemoryQueue<number>();
    const deadLetter = new MemoryQueue<DeadLetter<number>>();
    queue.push(7, { headers: original });
    const source = fromQueue(memory(queue, { deadLetter, pollMs: 20 }), { logger: silentLogger });
    const seen: Message<number>[] = [];
    await collectUntil(
      source.pipe(
        handle((m: Message<number>) => {
          seen.push(m);
          throw new Error('no');
        }),
        retryWithResend({ maxAttempts: 2 }),
        ack(),
      ),
      () => deadLetter.size === 1,
    );
    await source.stop();
    expect(seen.map((m) => m.attempt)).toEqual([1, 2]);
    expect(seen[1]?.headers).toMatchObject({ ...original, [HEADERS.attempt]: '2', [HEADERS.errorMessage]: 'no' });
    const [letter] = await deadLetter.pullMany(1);
    expect(letter).toMatchObject({ value: 7, reason: 'max-attempts', attempt: 2 });
    expect(letter?.headers).toMatchObject(original);
  });

  it('requeues, releases and visibility-timeout returns keep every header', async () => {
    const queue = new MemoryQueue<string>();
    queue.push('requeue', { headers: original });
    queue.push('release', { headers: { ...original, which: 'release' } });
    queue.push('expire', { headers: { ...original, which: 'expire' } });
    const stop = new Subject<void>();
    const source = fromQueue(memory(queue, { pollMs: 20, visibilityTimeoutMs: 50 }), {
      stop,
      drainTimeoutMs: 0,
      logger: silentLogger,
    });
    const sub = source.subscribe((m) => {
      if (m.body === 'requeue' && m.attempt === 1) void m.nack();
    });
    // The expired one comes back (attempt 2) after 50 ms; the requeued one at once.
    await firstValueFrom(source.metrics.observe(5).pipe(filter((s) => s.received >= 5)));
    stop.next();
    await firstValueFrom(source.status$.pipe(filter((s) => s.status === 'closed')));
    sub.unsubscribe();
    const back = fromQueue(memory(queue, { pollMs: 20 }), { logger: silentLogger });
    const all = await collectUntil(back, (ms) => new Set(ms.map((m) => m.body)).size === 3);
    await back.stop();
    for (const m of all) expect(m.headers).toMatchObject(original);
    expect(all.find((m) => m.body === 'release')?.headers['which']).toBe('release');
    expect(all.find((m) => m.body === 'expire')?.headers['which']).toBe('expire');
  });

  it('rejects headers that are not strings', () => {
    expect(() => new MemoryQueue<number>().push(1, { headers: { n: 1 } as never })).toThrow(/headers/);
  });
});

describe('memory: ids', () => {
  it('are the decimal sequence numbers of the deliveries, read in any order', async () => {
    const queue = new MemoryQueue<number>();
    queue.pushMany(Array.from({ length: 2_345 }, (_, i) => i + 1));
    const source = fromQueue(memory(queue, { pollMs: 20 }), { maxInFlight: 3_000, logger: silentLogger });
    const messages = await collectUntil(source, (ms) => ms.length === 2_345);
    // Backwards first, then forwards: the ids do not depend on the order they are asked in.
    const backwards = [...messages]
      .reverse()
      .map((m) => m.id)
      .reverse();
    const expected = messages.map((m) => String(m.body));
    expect(backwards).toEqual(expected);
    expect(messages.map((m) => m.id)).toEqual(expected);
  });

  it('go on counting across sessions and redeliveries', async () => {
    const queue = new MemoryQueue<string>();
    queue.pushMany(['a', 'b']);
    const connector = memory(queue, { pollMs: 20 });
    const first = fromQueue(connector, { logger: silentLogger });
    const seen: string[] = [];
    const sub = first.subscribe((m) => {
      seen.push(`${m.body}:${m.id}`);
      if (m.body === 'a' && m.attempt === 1) void m.nack();
      else void m.ack();
    });
    await firstValueFrom(first.metrics.observe(5).pipe(filter((s) => s.acked === 2)));
    sub.unsubscribe();
    queue.push('c');
    const second = fromQueue(connector, { logger: silentLogger });
    const [c] = await collectUntil(second, (ms) => ms.length === 1);
    await second.stop();
    expect(seen).toEqual(['a:1', 'b:2', 'a:3']);
    expect(c?.id).toBe('4');
  });
});

describe('memory: handler metrics of batches', () => {
  it('count one handler run per message of a batch, on the source each message came from', async () => {
    const a = new MemoryQueue<string>();
    const b = new MemoryQueue<string>();
    a.pushMany(['a1', 'a2', 'a3']);
    b.pushMany(['b1', 'b2']);
    const sourceA = fromQueue(memory(a, { pollMs: 20 }), { logger: silentLogger });
    const sourceB = fromQueue(memory(b, { pollMs: 20 }), { logger: silentLogger });
    const records = await collectUntil(
      merge(sourceA, sourceB).pipe(
        chunk({ size: 5, maxWaitMs: 1_000 }),
        handle(() => undefined),
        ack(),
      ),
      (rs) => rs.length === 5,
    );
    await Promise.all([sourceA.stop(), sourceB.stop()]);
    expect(records.every((r) => r.settlement === 'acked')).toBe(true);
    expect(sourceA.metrics.snapshot().handler.count).toBe(3);
    expect(sourceB.metrics.snapshot().handler.count).toBe(2);
  });
});
