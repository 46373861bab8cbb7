import { firstValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { fixed } from '../backoff.js';
import { RxqError } from '../errors.js';
import { fakeMessage } from '../testing/fakeMessage.js';
import { ack, type AckOptions } from './ack.js';

const failAt = async (attempt: number, error: unknown = new Error('boom'), options?: AckOptions) => {
  const m = fakeMessage('a', { attempt });
  await firstValueFrom(of({ ok: false as const, item: m, error, durationMs: 1 }).pipe(ack(options), toArray()));
  return m;
};

describe('ack: a failure without a retry policy does not spin', () => {
  it('by default resends it after a delay of about a second, growing, with the error', async () => {
    const first = await failAt(1);
    expect(first.ops).toEqual(['resend']);
    const { delayMs, error } = first.calls[0]?.args[0] as { delayMs: number; error: Error };
    expect(delayMs).toBeGreaterThanOrEqual(800);
    expect(delayMs).toBeLessThanOrEqual(1_000);
    expect(error.message).toBe('boom');
    const fourth = await failAt(4);
    const later = (fourth.calls[0]?.args[0] as { delayMs: number }).delayMs;
    expect(later).toBeGreaterThanOrEqual(6_400);
    expect(later).toBeLessThanOrEqual(8_000);
  });

  it('by default dead-letters it on the 5th attempt, and a non-retryable error at once', async () => {
    const fifth = await failAt(5);
    expect(fifth.ops).toEqual(['deadLetter']);
    expect(fifth.calls[0]?.args[0]).toBe('max-attempts');
    const fatal = await failAt(1, new RxqError('X', 'no use', { retryable: false }));
    expect(fatal.calls[0]?.args[0]).toBe('non-retryable');
  });

  it('honours maxAttempts and backoff, and validates them', async () => {
    expect((await failAt(2, new Error('e'), { maxAttempts: 2 })).ops).toEqual(['deadLetter']);
    const m = await failAt(1, new Error('e'), { backoff: fixed({ delayMs: 5 }) });
    expect((m.calls[0]?.args[0] as { delayMs: number }).delayMs).toBe(5);
    expect(() => ack({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => ack({ backoff: 5 as never })).toThrow(/backoff/);
  });
});
