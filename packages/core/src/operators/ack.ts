import { Observable, type OperatorFunction } from 'rxjs';
import { exponential, type Backoff } from '../backoff.js';
import { isRetryable } from '../errors.js';
import { fn as checkFn, opt, positiveInt } from '../kit/validate.js';
import { rejectUnknownOptions } from '../options.js';
import type { Message, Settlement } from '../message.js';
import type { Batch, Item, Outcome } from '../outcome.js';

/** What `ack` emits for each message it saw settled. */
export interface SettlementRecord {
  readonly id: string;
  readonly source: string;
  /** How the message ended: acked, requeued (a nacked failure), resent, dead-lettered or released. */
  readonly settlement: Settlement;
  /** Whether the handler succeeded. */
  readonly ok: boolean;
  readonly attempt: number;
  /** The handler's duration. */
  readonly durationMs: number;
  /** The handler's error, for failures. */
  readonly error?: unknown;
}

/**
 * Options of {@link ack}: what happens to a failure nobody settled (no `retryWithResend` before
 * `ack`, or one with `deadLetter: false`). By default it comes back after a growing delay and is
 * dead-lettered on its 5th attempt, so a failing message never spins.
 */
export interface AckOptions {
  /**
   * Give a failure another attempt (`true`, after `backoff`, up to `maxAttempts`), or dead-letter
   * it at once with reason `rejected` and the handler's error (`false`). @default true
   */
  readonly requeue?: boolean;
  /**
   * Attempts in all, the first delivery included: a failure on the last one is dead-lettered
   * with reason `max-attempts`. An error with `retryable: false` is dead-lettered at once
   * (reason `non-retryable`). `Infinity` retries for ever. @default 5
   */
  readonly maxAttempts?: number;
  /**
   * Delay before a failed message comes back, from the attempt that failed: it is resent with
   * `attempt + 1` after that delay. A delay of 0 requeues it at once (the broker's own redelivery:
   * a tight loop on a failure that persists). @default exponential({ initialMs: 1_000, maxMs: 60_000 })
   */
  readonly backoff?: Backoff;
}

/**
 * Settles what reaches it: successes are acked; a failure not settled yet comes back after
 * `backoff` (resent with `attempt + 1`) until its `maxAttempts`-th attempt, which is
 * dead-lettered. Emits one record per message, for logs and metrics. Settlements are batched by
 * the connectors, so `ack` does not wait for the broker.
 *
 * @example
 * source.pipe(handle(work), retryWithResend({ maxAttempts: 3 }), ack()).subscribe((r) => log(r.settlement, r.id))
 */
export function ack<I extends Item, R>(options: AckOptions = {}): OperatorFunction<Outcome<I, R>, SettlementRecord> {
  rejectUnknownOptions(options, ['requeue', 'maxAttempts', 'backoff']);
  const requeue = options.requeue ?? true;
  const maxAttempts = opt(options.maxAttempts, 5, (v) => positiveInt('maxAttempts', v, true));
  const backoff =
    options.backoff === undefined
      ? exponential({ initialMs: 1_000, maxMs: 60_000 })
      : checkFn('backoff', options.backoff);
  return (source) =>
    new Observable<SettlementRecord>((subscriber) => {
      const subscription = source.subscribe({
        next(outcome) {
          const { item } = outcome;
          if (!Array.isArray(item)) return settle(outcome, item as Message<unknown>);
          for (const message of item as Batch<unknown>) settle(outcome, message);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      function settle(outcome: Outcome<I, R>, message: Message<unknown>): void {
        if (message.settlement === undefined) {
          if (outcome.ok) void message.ack();
          else retryLater(message, outcome.error);
        }
        const record: { -readonly [K in keyof SettlementRecord]: SettlementRecord[K] } = {
          id: message.id,
          source: message.source,
          settlement: message.settlement ?? 'acked',
          ok: outcome.ok,
          attempt: message.attempt,
          durationMs: outcome.durationMs,
        };
        if (!outcome.ok) record.error = outcome.error;
        subscriber.next(record);
      }
      return subscription;
    });

  function retryLater(message: Message<unknown>, error: unknown): void {
    if (!requeue) void message.nack({ requeue: false, error });
    else if (!isRetryable(error)) void message.deadLetter('non-retryable', error);
    else if (message.attempt >= maxAttempts) void message.deadLetter('max-attempts', error);
    else {
      const delayMs = backoff(message.attempt);
      if (delayMs > 0) void message.resend({ delayMs, error });
      else void message.nack({ requeue: true });
    }
  }
}
