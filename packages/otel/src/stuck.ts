import { metrics, ValueType, trace, type Meter, type Span } from '@opentelemetry/api';
import {
  defaultLogger,
  InvalidOptionError,
  rejectUnknownOptions,
  type Handler,
  type Item,
  type Logger,
  type Message,
} from '@rxq/core';
import { isObservable, Observable } from 'rxjs';
import { SCOPE } from './traced.js';

/** Options of {@link stuckHandlers}. */
export interface StuckHandlersOptions {
  /** A handler still running after this is reported once as slow (log, span event, counter). @default 10_000 */
  readonly warnAfterMs?: number;
  /**
   * `handle`'s `timeoutMs` for the wrapped handler: one still running after it has been aborted and
   * reported failed, and is counted as stuck while it runs on. @default Infinity (none is stuck)
   */
  readonly timeoutMs?: number;
  /** How often running handlers are looked at (one timer for all). @default 1_000 */
  readonly checkEveryMs?: number;
  /** Where slow and stuck handlers are logged (`warn`), and their late end (`info`). @default rxq's default logger */
  readonly logger?: Logger;
  /** Where `rxq.handler.slow` and `rxq.handler.stuck` are made. @default metrics.getMeter('@rxq/otel') */
  readonly meter?: Meter;
}

/** A watch over wrapped handlers' running times. */
export interface StuckHandlers {
  /** Wraps a handler for `handle`; put it inside `traced` (`traced(watch.wrap(fn))`) for span events. */
  wrap<I extends Item, R>(fn: Handler<I, R>): Handler<I, R>;
  /** Handlers running now past `timeoutMs` (aborted, still running). */
  readonly stuck: number;
  /** Wrapped handlers running now. */
  readonly running: number;
  /** Stops the timer and the instruments. */
  close(): void;
}

interface Run {
  readonly item: Item;
  readonly started: number;
  readonly span: Span | undefined;
  /** 0 running, 1 reported slow, 2 counted stuck. */
  state: 0 | 1 | 2;
}

/**
 * Reports handlers that run long, as the older concurrent consumer did with `stuck_time` and
 * `stuck_limit`: a handler running past `warnAfterMs` is logged at `warn` (message id, source,
 * attempt, running time; never the body), gets a `rxq.handler.slow` span event and counts in the
 * `rxq.handler.slow` counter. One still running past `timeoutMs` (the `timeoutMs` given to
 * `handle`, which has aborted its signal and reported it failed) is stuck: logged, a
 * `rxq.handler.stuck` span event, and counted in `stuck` and the `rxq.handler.stuck` gauge until
 * it ends. `handle` frees a timed-out handler's concurrency slot at once, so stuck handlers run
 * beside `concurrency` others; `health(…, { stuck, maxStuck })` reports unready past a limit.
 *
 * @example
 * const watch = stuckHandlers({ warnAfterMs: 5_000, timeoutMs: 30_000 });
 * source.pipe(handle(traced(watch.wrap(work)), { timeoutMs: 30_000, concurrency: 8 }), ack());
 */
export function stuckHandlers(options: StuckHandlersOptions = {}): StuckHandlers {
  rejectUnknownOptions(options, ['warnAfterMs', 'timeoutMs', 'checkEveryMs', 'logger', 'meter']);
  const warnAfterMs = ms('warnAfterMs', options.warnAfterMs, 10_000);
  const timeoutMs = ms('timeoutMs', options.timeoutMs, Infinity);
  const checkEveryMs = ms('checkEveryMs', options.checkEveryMs, 1_000);
  if (checkEveryMs === 0 || checkEveryMs === Infinity)
    throw new InvalidOptionError('checkEveryMs', 'a finite number > 0', checkEveryMs);
  const logger = options.logger ?? defaultLogger();
  if (typeof logger?.warn !== 'function') throw new InvalidOptionError('logger', 'a Logger', logger);
  const meter = options.meter ?? metrics.getMeter(SCOPE);
  const slowCounter = meter.createCounter('rxq.handler.slow', {
    description: 'Handlers that ran past warnAfterMs',
    unit: '{handler}',
    valueType: ValueType.INT,
  });
  const stuckGauge = meter.createObservableUpDownCounter('rxq.handler.stuck', {
    description: 'Handlers still running after their timeout aborted them',
    unit: '{handler}',
    valueType: ValueType.INT,
  });
  const running = new Set<Run>();
  let stuck = 0;
  const observeStuck = (result: { observe(value: number): void }): void => result.observe(stuck);
  stuckGauge.addCallback(observeStuck);

  const sweep = (): void => {
    const now = performance.now();
    for (const run of running) {
      const runningMs = Math.round(now - run.started);
      if (run.state === 0 && runningMs >= warnAfterMs) {
        run.state = 1;
        const fields = describe(run.item, runningMs);
        logger.warn(fields, 'handler running long');
        slowCounter.add(1, { 'messaging.destination.name': fields.source });
        event(run.span, 'rxq.handler.slow', runningMs);
      }
      if (run.state !== 2 && runningMs >= timeoutMs) {
        run.state = 2;
        stuck++;
        logger.warn(describe(run.item, runningMs), 'handler still running after its timeout: stuck');
        event(run.span, 'rxq.handler.stuck', runningMs);
      }
    }
  };
  const timer = setInterval(sweep, checkEveryMs);
  timer.unref();

  const end = (run: Run): void => {
    running.delete(run);
    if (run.state !== 2) return;
    stuck--;
    logger.info(describe(run.item, Math.round(performance.now() - run.started)), 'stuck handler ended');
  };

  return {
    wrap<I extends Item, R>(fn: Handler<I, R>): Handler<I, R> {
      if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function', fn);
      return (item, context) => {
        const run: Run = { item, started: performance.now(), span: trace.getActiveSpan(), state: 0 };
        running.add(run);
        let result: R | PromiseLike<R> | Observable<R>;
        try {
          result = fn(item, context);
        } catch (error) {
          end(run);
          throw error;
        }
        if (isObservable(result)) {
          const inner = result;
          return new Observable<R>((subscriber) => {
            const subscription = inner.subscribe(subscriber);
            return () => {
              subscription.unsubscribe();
              end(run);
            };
          });
        }
        if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<R>).then === 'function')
          return Promise.resolve(result as PromiseLike<R>).then(
            (value) => {
              end(run);
              return value;
            },
            (error: unknown) => {
              end(run);
              throw error;
            },
          );
        end(run);
        return result;
      };
    },
    get stuck() {
      return stuck;
    },
    get running() {
      return running.size;
    },
    close() {
      clearInterval(timer);
      stuckGauge.removeCallback(observeStuck);
    },
  };
}

function ms(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw new InvalidOptionError(name, 'a number ≥ 0', value);
  return value;
}

/** What a log record says of a run: ids and times, never the body. */
function describe(
  item: Item,
  runningMs: number,
): { id: string; source: string; attempt: number; runningMs: number; batch?: number } {
  const batch = Array.isArray(item) ? (item as readonly Message<unknown>[]) : undefined;
  const first = batch ? batch[0] : (item as Message<unknown>);
  const fields: { id: string; source: string; attempt: number; runningMs: number; batch?: number } = {
    id: first?.id ?? '',
    source: first?.source ?? 'unknown',
    attempt: first?.attempt ?? 1,
    runningMs,
  };
  if (batch) fields.batch = batch.length;
  return fields;
}

function event(span: Span | undefined, name: string, runningMs: number): void {
  if (span?.isRecording()) span.addEvent(name, { 'rxq.running_ms': runningMs });
}
