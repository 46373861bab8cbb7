import { errorInfo, InvalidOptionError, rejectUnknownOptions, silentLogger, type Logger } from '@rxq/core';
import { asyncScheduler, from, Observable, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';

/** A tick that took longer than the period: the next one starts at once, with no catch-up burst. */
export interface Overrun {
  /** The tick that overran, from 0. */
  readonly tick: number;
  /** How long its work took (from the tick's start until its work completed), ms. */
  readonly tookMs: number;
  /** The period it had. */
  readonly periodMs: number;
  /** How late the next tick starts against the schedule: `tookMs - periodMs`. */
  readonly lateMs: number;
}

/** What each tick's work is handed. */
export interface Tick {
  /** From 0. */
  readonly tick: number;
  /** When the tick started, on the scheduler's clock (ms). */
  readonly startedAt: number;
}

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
  const logger = options.logger ?? silentLogger;
  const name = options.name ?? 'fixedRate';
  const onOverrun = options.onOverrun;

  return new Observable<R>((subscriber) => {
    let tick = 0;
    let inner: Subscription | undefined;
    let timer: Subscription | undefined;

    const start = (): void => {
      const current: Tick = { tick: tick++, startedAt: scheduler.now() };
      let input: ObservableInput<R>;
      try {
        input = work(current);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      inner = from(input).subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          const tookMs = scheduler.now() - current.startedAt;
          if (tookMs > periodMs) {
            const overrun: Overrun = { tick: current.tick, tookMs, periodMs, lateMs: tookMs - periodMs };
            logger.warn(
              { name, ...overrun },
              `${name}: tick ${current.tick} took ${tookMs} ms, over its ${periodMs} ms period`,
            );
            try {
              onOverrun?.(overrun);
            } catch (error) {
              logger.error({ name, error: errorInfo(error) }, `${name}: onOverrun threw`);
            }
          }
          // Scheduled even at 0 ms, so that synchronous work never recurses.
          timer = scheduler.schedule(start, Math.max(0, periodMs - tookMs));
        },
      });
    };
    start();
    return () => {
      inner?.unsubscribe();
      timer?.unsubscribe();
    };
  });
}
