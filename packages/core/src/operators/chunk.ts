import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { nonNegative, opt, positiveInt } from '../kit/validate.js';
import type { Message } from '../message.js';
import { rejectUnknownOptions } from '../options.js';
import type { Batch } from '../outcome.js';

/** The longest delay a timer takes as it is; Node turns a longer one into 1 ms. */
const MAX_TIMER_MS = 0x7fffffff;
/** The largest batch array made ahead of its messages; a larger batch grows as they come. */
const MAX_PREALLOCATED = 1024;

/** Options of {@link chunk}. */
export interface ChunkOptions {
  /** Messages per batch: a batch is emitted as soon as it has this many. Keep it ≤ the source's `maxInFlight`. @default 100 */
  readonly size?: number;
  /**
   * Longest a message waits in a partial batch, counted from the batch's first message. A source
   * with `maxInFlight` below `size` relies on it. Infinity (or above 2^31-1 ms) waits for `size`
   * alone. @default 100
   */
  readonly maxWaitMs?: number;
  /** Scheduler for the wait (tests). @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Groups messages into batches of `size`, or fewer after `maxWaitMs`, whichever comes first; a
 * partial batch is flushed when the source completes. It settles nothing: hand the batch to
 * `handle`, then `ack` settles it message by message (a `PartialFailure` fails only some).
 *
 * ```
 * source:  a b c ---------- d |     (size: 3, maxWaitMs: 5)
 * chunk:   ----[abc]-------------(d)|  — or [d] after 5 frames without more
 * ```
 *
 * @example
 * source.pipe(chunk({ size: 100, maxWaitMs: 50 }), handle((batch) => db.insertMany(batch.map((m) => m.body))), ack())
 */
export function chunk<T>(options: ChunkOptions = {}): OperatorFunction<Message<T>, Batch<T>> {
  rejectUnknownOptions(options, ['size', 'maxWaitMs', 'scheduler']);
  const size = opt(options.size, 100, (v) => positiveInt('size', v));
  const maxWaitMs = opt(options.maxWaitMs, 100, (v) => nonNegative('maxWaitMs', v, true));
  // Timers clamp delays above 2^31-1 ms (about 24.8 days) to 1 ms: wait for size alone then.
  const timed = maxWaitMs <= MAX_TIMER_MS;
  const scheduler = options.scheduler ?? asyncScheduler;
  // A batch's array is made at its full size (up to a bound), so that filling it never copies it.
  const initial = Math.min(size, MAX_PREALLOCATED);
  return (source) =>
    new Observable<Batch<T>>((subscriber) => {
      let batch: Message<T>[] = new Array<Message<T>>(initial);
      let count = 0;
      /** When the current batch got its first message, on the scheduler's clock. */
      let startedAt = 0;
      /**
       * One timer, not one per batch: a batch filled before its wait ended leaves the timer
       * running, and when it fires it flushes the batch then open if that batch's wait is over, or
       * waits again for the rest of it. Under load that is a timer per `maxWaitMs`, not per batch.
       */
      let timer: Subscription | undefined;
      /** When the pending timer fires. */
      let timerDue = 0;
      const flush = (): void => {
        if (count === 0) return;
        const full = batch;
        if (count < full.length) full.length = count;
        batch = new Array<Message<T>>(initial);
        count = 0;
        subscriber.next(full);
      };
      const arm = (due: number, delay: number): void => {
        timerDue = due;
        timer = scheduler.schedule(fire, delay);
      };
      function fire(): void {
        timer = undefined;
        if (count === 0) return;
        const due = startedAt + maxWaitMs;
        const left = due - scheduler.now();
        // Armed for this very batch: its wait is over, whatever a clock's rounding says.
        if (left <= 0 || due === timerDue) flush();
        else arm(due, left);
      }
      const subscription = source.subscribe({
        next(message) {
          batch[count++] = message;
          if (count >= size) flush();
          else if (count === 1 && timed) {
            startedAt = scheduler.now();
            if (timer === undefined) arm(startedAt + maxWaitMs, maxWaitMs);
          }
        },
        error(error: unknown) {
          timer?.unsubscribe();
          subscriber.error(error);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
