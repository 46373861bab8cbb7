import { InvalidOptionError, rejectUnknownOptions, silentLogger, type Logger } from '@rxq/core';
import { asyncScheduler, from, Observable, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';
import { overrunReporter, TickClock, type Overrun, type Tick } from './tickClock.js';

/** Options of {@link fixedRate}. */
export interface FixedRateOptions {
  /** A tick starts every `periodMs` (or at once after a tick that overran). */
  readonly periodMs: number;
  /** Told of every overrun (it is also logged at `warn`). @default none */
  readonly onOverrun?: (overrun: Overrun) => void;
  /** Where overruns are logged. @default silentLogger */
  readonly logger?: Logger;
  /** A name for log records. @default 'fixedRate' */
  readonly name?: string;
  /** Scheduler for the clock (tests: `TestScheduler`). @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

const KNOWN = ['periodMs', 'onOverrun', 'logger', 'name', 'scheduler'] as const;

/**
 * A fixed-rate polling clock: calls `work` at once, and again `periodMs` after each call began —
 * never while the previous work is still running. Work that takes longer than the period is an
 * overrun: reported (`onOverrun`, and a `warn` log with how long it took against the period), and
 * the next tick starts as soon as the work completes, with no burst of missed ticks after it.
 * Emits every value the work emits; errors when a work errors (catch inside `work` to go on);
 * never completes by itself; unsubscribing cancels the running work and the clock.
 *
 * ```
 * periodMs 10:   work takes 3, 12, 5, …
 * ticks:         0 at 0 --(sleeps 7)-- 1 at 10 --(overrun by 2, no sleep)-- 2 at 22 --(sleeps 5)-- 3 at 32
 * ```
 *
 * @example
 * // Sequential: each fetched chunk's records one by one, in order.
 * fixedRate(() => from(fetchChunk()).pipe(concatMap((records) => records), concatMap(process)), { periodMs: 1_000 })
 * // Gathered: all of a chunk's records at once, the tick done when the last one is.
 * fixedRate(() => from(fetchChunk()).pipe(mergeMap((records) => forkJoin(records.map(process)))), { periodMs: 1_000 })
 */
export function fixedRate<R>(work: (tick: Tick) => ObservableInput<R>, options: FixedRateOptions): Observable<R> {
  rejectUnknownOptions(options, KNOWN);
  if (typeof work !== 'function') throw new InvalidOptionError('work', 'a function', work);
  const periodMs = options.periodMs;
  if (typeof periodMs !== 'number' || !(periodMs > 0) || !Number.isFinite(periodMs))
    throw new InvalidOptionError('periodMs', 'a finite number > 0', periodMs);
  const scheduler = options.scheduler ?? asyncScheduler;
  const report = overrunReporter(options.name ?? 'fixedRate', options.logger ?? silentLogger, options.onOverrun);

  return new Observable<R>((subscriber) => {
    const clock = new TickClock(periodMs, report);
    let inner: Subscription | undefined;
    let timer: Subscription | undefined;

    const start = (): void => {
      const tick = clock.begin(scheduler.now());
      let input: ObservableInput<R>;
      try {
        input = work(tick);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      inner = from(input).subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => subscriber.error(error),
        // Scheduled even at 0 ms, so that synchronous work never recurses.
        complete: () => (timer = scheduler.schedule(start, clock.end(scheduler.now()))),
      });
    };
    start();
    return () => {
      inner?.unsubscribe();
      timer?.unsubscribe();
    };
  });
}
