import { Observable, type OperatorFunction } from 'rxjs';
import { fixed, type Backoff } from '../backoff.js';
import { isRetryable } from '../errors.js';
import { fn as checkFn, positiveInt } from '../kit/validate.js';
import { rejectUnknownOptions } from '../options.js';
import { messagesOf, type Item, type Outcome } from '../outcome.js';

/** Options of {@link retryWithResend}. */
export interface RetryWithResendOptions {
  /** Attempts in all, the first delivery included; the last failure is dead-lettered. */
  readonly maxAttempts: number;
  /** Delay before the copy is delivered, from the attempt that failed. @default fixed({ delayMs: 0 }) */
  readonly backoff?: Backoff;
  /**
   * After `maxAttempts` (or at once for an error with `retryable: false`), move the message to
   * the source's dead-letter destination with its error. With `false` the failure passes on
   * unsettled, for `ack` to nack.
   * @default true
   */
  readonly deadLetter?: boolean;
}

/**
 * Resends failed messages to their queue with `attempt + 1` after the backoff delay, and
 * dead-letters them after `maxAttempts`, with the error's name and message recorded. The original
 * is settled by the resend, so a consumer crash in between never loses it. An error whose
 * `retryable` is `false` skips the retries. Successes pass through untouched; every outcome is
 * passed on, so `ack` can record it.
 *
 * @example
 * source.pipe(handle(work), retryWithResend({ maxAttempts: 5, backoff: exponential({ initialMs: 200 }) }), ack())
 */
export function retryWithResend<I extends Item, R>(
  options: RetryWithResendOptions,
): OperatorFunction<Outcome<I, R>, Outcome<I, R>> {
  rejectUnknownOptions(options, ['maxAttempts', 'backoff', 'deadLetter']);
  const maxAttempts = positiveInt('maxAttempts', options?.maxAttempts);
  const backoff = options.backoff === undefined ? fixed() : checkFn('backoff', options.backoff);
  const deadLetter = options.deadLetter ?? true;
  return (source) =>
    new Observable<Outcome<I, R>>((subscriber) =>
      source.subscribe({
        next(outcome) {
          if (!outcome.ok) {
            const { error } = outcome;
            const retryable = isRetryable(error);
            for (const message of messagesOf(outcome.item)) {
              if (message.settlement !== undefined) continue;
              if (retryable && message.attempt < maxAttempts) {
                void message.resend({ delayMs: backoff(message.attempt), error });
              } else if (deadLetter) {
                void message.deadLetter(retryable ? 'max-attempts' : 'non-retryable', error);
              }
            }
          }
          subscriber.next(outcome);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
}
