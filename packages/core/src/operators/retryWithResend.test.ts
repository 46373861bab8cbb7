import { firstValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, RxqError } from '../errors.js';
import type { Message } from '../message.js';
import type { Batch, Outcome } from '../outcome.js';
import { fakeMessage, type FakeMessage } from '../testing/fakeMessage.js';
import { retryWithResend, type RetryWithResendOptions } from './retryWithResend.js';

type Fake = FakeMessage<string>;
const fake = (id: string, attempt = 1): Fake => fakeMessage(id, { attempt });

const failure = <I extends Message<string> | Batch<string>>(item: I, error: unknown): Outcome<I> => ({
  ok: false,
  item,
  error,
  durationMs: 1,
});

function through<I extends Message<string> | Batch<string>>(
  outcomes: Outcome<I>[],
  options: RetryWithResendOptions,
): Promise<Outcome<I>[]> {
  return firstValueFrom(of(...outcomes).pipe(retryWithResend<I, unknown>(options), toArray()));
}

describe('retryWithResend', () => {
  it('resends a failure below maxAttempts with the backoff delay of its attempt, and passes it on', async () => {
    const error = new Error('later');
    const first = fake('a', 1);
    const third = fake('b', 3);
    const seenAttempts: number[] = [];
    const backoff = (attempt: number): number => {
      seenAttempts.push(attempt);
      return attempt * 100;
    };
    const out = await through([failure(first, error), failure(third, error)], { maxAttempts: 4, backoff });
    expect(out.map((o) => o.item)).toEqual([first, third]);
    expect(first.calls).toEqual([{ op: 'resend', args: [{ delayMs: 100, error }] }]);
    expect(third.calls).toEqual([{ op: 'resend', args: [{ delayMs: 300, error }] }]);
    expect(seenAttempts).toEqual([1, 3]);
  });

  it('dead-letters at maxAttempts with reason max-attempts and the error', async () => {
    const error = new Error('still broken');
    const last = fake('a', 3);
    const beyond = fake('b', 7);
    await through([failure(last, error), failure(beyond, error)], { maxAttempts: 3 });
    expect(last.calls).toEqual([{ op: 'deadLetter', args: ['max-attempts', error] }]);
    expect(beyond.calls).toEqual([{ op: 'deadLetter', args: ['max-attempts', error] }]);
  });

  it('dead-letters an error with retryable: false at once, with reason non-retryable', async () => {
    const error = new RxqError('BAD_INPUT', 'will never work', { retryable: false });
    const m = fake('a', 1);
    await through([failure(m, error)], { maxAttempts: 5 });
    expect(m.calls).toEqual([{ op: 'deadLetter', args: ['non-retryable', error] }]);
    // Any object that says retryable: false counts, not only RxqError.
    const plain = fake('b', 1);
    await through([failure(plain, { retryable: false })], { maxAttempts: 5 });
    expect(plain.calls[0]?.args[0]).toBe('non-retryable');
  });

  it('with deadLetter: false passes the last failure on unsettled', async () => {
    const m = fake('a', 2);
    const nonRetryable = fake('b', 1);
    const out = await through([failure(m, new Error('x')), failure(nonRetryable, { retryable: false })], {
      maxAttempts: 2,
      deadLetter: false,
    });
    expect(out).toHaveLength(2);
    expect(m.calls).toEqual([]);
    expect(nonRetryable.calls).toEqual([]);
    expect(m.settlement).toBeUndefined();
  });

  it('leaves successes and already settled messages alone', async () => {
    const ok = fake('a');
    const settled = fake('b');
    await settled.ack();
    const out = await through([{ ok: true, item: ok, value: 1, durationMs: 1 }, failure(settled, new Error('x'))], {
      maxAttempts: 3,
    });
    expect(out).toHaveLength(2);
    expect(ok.calls).toEqual([]);
    expect(settled.calls.map((c) => c.op)).toEqual(['ack']);
  });

  it('settles every message of a failed batch by its own attempt', async () => {
    const young = fake('a', 1);
    const old = fake('b', 2);
    await through([failure([young, old], new Error('batch failed'))], { maxAttempts: 2 });
    expect(young.calls.map((c) => c.op)).toEqual(['resend']);
    expect(old.calls.map((c) => [c.op, c.args[0]])).toEqual([['deadLetter', 'max-attempts']]);
  });

  it('uses a zero delay by default', async () => {
    const m = fake('a');
    await through([failure(m, 'oops')], { maxAttempts: 2 });
    expect(m.calls).toEqual([{ op: 'resend', args: [{ delayMs: 0, error: 'oops' }] }]);
  });

  it('validates maxAttempts and backoff at construction', () => {
    for (const maxAttempts of [0, -1, 1.5, Number.NaN]) {
      expect(() => retryWithResend({ maxAttempts })).toThrow(InvalidOptionError);
      expect(() => retryWithResend({ maxAttempts })).toThrow('`maxAttempts`');
    }
    expect(() => retryWithResend(undefined as unknown as RetryWithResendOptions)).toThrow('`maxAttempts`');
    expect(() => retryWithResend({ maxAttempts: 2, backoff: 5 as unknown as () => number })).toThrow('`backoff`');
    expect(() => retryWithResend({ maxAttempts: 1 })).not.toThrow();
  });
});
