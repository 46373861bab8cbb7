import { describe, expect, it } from 'vitest';
import { ack, exponential, fixed, fromQueue, handle, type Message, retryWithResend } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory } from '../../src/index.js';

describe('retryWithResend through a memory source', () => {
  it('resends with attempt + 1 and error headers, then dead-letters with the error', async () => {
    const queue = new MemoryQueue<string>();
    const connector = memory(queue, { pollMs: 20 });
    queue.push('job');
    const source = fromQueue<string>(connector);
    const seen: { attempt: number; headers: Readonly<Record<string, string>> }[] = [];
    const records = await collectUntil(
      source.pipe(
        handle((m: Message<string>) => {
          seen.push({ attempt: m.attempt, headers: m.headers });
          throw new TypeError(`failed on attempt ${m.attempt}`);
        }),
        retryWithResend({ maxAttempts: 3, backoff: exponential({ initialMs: 1, maxMs: 4, jitter: 0 }) }),
        ack(),
      ),
      (rs) => rs.length === 3,
    );
    await source.stop();
    expect(records.map((r) => [r.attempt, r.settlement, r.ok])).toEqual([
      [1, 'resent', false],
      [2, 'resent', false],
      [3, 'dead-lettered', false],
    ]);
    expect(seen[1]?.headers).toMatchObject({
      'x-rxq-attempt': '2',
      'x-rxq-error-name': 'TypeError',
      'x-rxq-error-message': 'failed on attempt 1',
    });
    const dead = await connector.deadLetters.pullMany(null, { timeoutMs: 0 });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      value: 'job',
      reason: 'max-attempts',
      attempt: 3,
      error: { name: 'TypeError', message: 'failed on attempt 3' },
    });
    expect(queue.size).toBe(0);
    expect(source.metrics.snapshot()).toMatchObject({ resent: 2, deadLettered: 1, inFlight: 0 });
  });

  it('holds a resent copy back for the backoff delay', async () => {
    const queue = new MemoryQueue<string>();
    queue.push('job');
    const source = fromQueue<string>(memory(queue, { pollMs: 20 }));
    const stamps: number[] = [];
    await collectUntil(
      source.pipe(
        handle((m: Message<string>) => {
          stamps.push(performance.now());
          if (m.attempt === 1) throw new Error('later');
        }),
        retryWithResend({ maxAttempts: 2, backoff: fixed({ delayMs: 80 }) }),
        ack(),
      ),
      (rs) => rs.length === 2,
    );
    await source.stop();
    expect(stamps).toHaveLength(2);
    expect((stamps[1] ?? 0) - (stamps[0] ?? 0)).toBeGreaterThanOrEqual(70);
  });
});
