import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { Fifo } from '../kit/fifo.js';
import { ShutdownError } from '../errors.js';
import { HandlerRun, isReleased, type RunOwner } from '../internal/handlerRun.js';
import { fn as checkFn, nonNegative, opt, positiveInt } from '../kit/validate.js';
import type { Message } from '../message.js';
import { rejectUnknownOptions } from '../options.js';
import { PartialFailure, type Item, type Outcome } from '../outcome.js';

/** The longest delay a timer takes as it is; Node turns a longer one into 1 ms. */
const MAX_TIMER_MS = 0x7fffffff;

/** Handed to a handler beside its item. */
export interface HandlerContext {
  /**
   * Aborted when the handler times out (reason: `HandlerTimeoutError`), when the stream is
   * unsubscribed (reason: `ShutdownError`), and when the message's source begins a graceful stop (reason:
   * `ShutdownError`). A handler that then ends early by throwing or rejecting gets its message
   * released: back to the queue, no attempt counted. One that finishes anyway is settled as usual.
   */
  readonly signal: AbortSignal;
}

/** A handler: returns a value, a Promise or an Observable (whose last value counts). */
export type Handler<I, R> = (item: I, context: HandlerContext) => R | PromiseLike<R> | Observable<R>;

/** Options of {@link handle}. */
export interface HandleOptions<I> {
  /** Handlers running at once. @default 1 */
  readonly concurrency?: number;
  /**
   * A handler still running after this fails with `HandlerTimeoutError`. Above 2^31-1 ms (about
   * 24.8 days) it counts as Infinity. @default Infinity
   */
  readonly timeoutMs?: number;
  /**
   * Items with the same key run one after another in arrival order; different keys run in
   * parallel up to `concurrency`. @default none (no ordering)
   */
  readonly key?: (item: I) => unknown;
  /** Scheduler for timeouts (tests). @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Runs `fn` on each message (or batch) with a concurrency limit and turns every result into a
 * value: `{ ok: true, value }` or `{ ok: false, error }`. A throwing handler never errors the
 * stream. It settles nothing: `retryWithResend` and `ack` do. With a batch, a `PartialFailure`
 * splits the outcome into a success for the finished messages and a failure for the others.
 *
 * ```
 * source:  a b c        (concurrency: 2, each takes 3 frames)
 * handle:  ---a b--c    outcomes
 * ```
 *
 * On unsubscribe, running handlers' signals abort. A handler never starts on a message its source
 * has given back (released after a drain timeout). Completes when the source has completed and
 * every handler has finished, except those whose messages were all given back: those are
 * abandoned (their signals abort), so a stop takes no longer than its drain timeout.
 *
 * @example
 * source.pipe(handle((msg) => save(msg.body), { concurrency: 32, timeoutMs: 10_000, key: (m) => m.key }))
 */
export function handle<I extends Item, R>(
  fn: Handler<I, R>,
  options: HandleOptions<I> = {},
): OperatorFunction<I, Outcome<I, R>> {
  checkFn('fn', fn);
  rejectUnknownOptions(options, ['concurrency', 'timeoutMs', 'key', 'scheduler']);
  const concurrency = opt(options.concurrency, 1, (v) => positiveInt('concurrency', v, true));
  const timeoutMs = opt(options.timeoutMs, Infinity, (v) => nonNegative('timeoutMs', v, true));
  // Timers clamp delays above 2^31-1 ms (about 24.8 days) to 1 ms: treat those as no timeout.
  const timed = timeoutMs <= MAX_TIMER_MS;
  const keyOf = options.key === undefined ? undefined : checkFn('key', options.key);
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<Outcome<I, R>>((subscriber) => {
      let active = 0;
      let sourceDone = false;
      const waiting = new Fifo<I>();
      /** Per busy key, the items queued behind the running one. */
      const keyed = new Map<unknown, I[]>();
      /** Items whose key came free, to run before `waiting`. */
      const ready = new Fifo<I>();
      /** Set while `drain` runs: handlers that finish synchronously must not start the next one
       * from inside it, or a long queue of them would nest one stack frame set per item. */
      let draining = false;
      /** Running handlers with a timer, an inner subscription or a signal to cancel on teardown. */
      const cancellable = new Set<HandlerRun<I, R>>();
      /** Every running handler, newest first (an intrusive list: no allocation per message). */
      let running: HandlerRun<I, R> | undefined;
      let closed = false;

      const maybeComplete = (): void => {
        if (sourceDone && active === 0 && waiting.size === 0 && ready.size === 0) subscriber.complete();
      };

      const enqueue = (item: I, key: unknown): void => {
        if (active >= concurrency || draining) waiting.push(item);
        else if (!run(item, key)) {
          advanceKey(key);
          drain();
        }
      };

      const next = (item: I): void => {
        let key: unknown;
        if (keyOf) {
          try {
            key = keyOf(item);
          } catch (error) {
            subscriber.next({ ok: false, item, error, durationMs: 0 });
            return;
          }
          const queue = keyed.get(key);
          if (queue) {
            queue.push(item);
            return;
          }
          keyed.set(key, []);
          keyStore.set(item, key);
        }
        enqueue(item, key);
      };
      const keyStore = new WeakMap<object, unknown>();

      /** A key's item is done (or skipped): the next one with that key becomes ready. */
      const advanceKey = (key: unknown): void => {
        if (!keyOf) return;
        const queue = keyed.get(key);
        const following = queue?.shift();
        if (following !== undefined) {
          keyStore.set(following, key);
          ready.push(following);
        } else keyed.delete(key);
      };

      const finished = (key: unknown): void => {
        active--;
        if (closed) return;
        advanceKey(key);
        drain();
      };

      /** Starts queued items while there is room; a loop, never a recursion. */
      const drain = (): void => {
        if (draining) return;
        draining = true;
        try {
          while (!closed && active < concurrency) {
            const item = ready.size > 0 ? ready.shift() : waiting.shift();
            if (item === undefined) break;
            const key = keyOf ? keyStore.get(item) : undefined;
            if (!run(item, key)) advanceKey(key);
          }
        } finally {
          draining = false;
        }
        maybeComplete();
      };

      const owner: RunOwner<I, R> = {
        get closed() {
          return closed;
        },
        cancellable,
        finish(handlerRun, ok, valueOrError, durationMs) {
          unlinkRun(handlerRun);
          const { item } = handlerRun;
          if (ok) subscriber.next({ ok: true, item, value: valueOrError as R, durationMs });
          else emitFailure(item, valueOrError, durationMs);
          finished(handlerRun.key);
        },
      };

      /** Starts a handler; false (and nothing runs) if its source has given the item back. */
      function run(item: I, key: unknown): boolean {
        let runItem = item;
        if (Array.isArray(item)) {
          const batch = item as readonly Message<unknown>[];
          if (batch.some((m) => m.settlement === 'released')) {
            const left = batch.filter((m) => m.settlement !== 'released');
            if (left.length === 0) return false;
            runItem = left as unknown as I;
          }
        } else if ((item as Message<unknown>).settlement === 'released') return false;
        active++;
        const handlerRun = new HandlerRun<I, R>(owner, runItem, key);
        handlerRun.nextRun = running;
        if (running) running.prevRun = handlerRun;
        running = handlerRun;
        handlerRun.start(fn, timed ? timeoutMs : undefined, scheduler);
        return true;
      }

      function unlinkRun(handlerRun: HandlerRun<I, R>): void {
        const { prevRun, nextRun } = handlerRun;
        if (prevRun) prevRun.nextRun = nextRun;
        else if (running === handlerRun) running = nextRun;
        if (nextRun) nextRun.prevRun = prevRun;
        handlerRun.prevRun = handlerRun.nextRun = undefined;
      }

      /**
       * The source completed: what it gave back (released after a drain timeout) is not waited
       * for. Queued items of it are dropped, and running handlers whose messages were all given
       * back are abandoned, their signals aborted.
       */
      function abandonReleased(): void {
        const keep = (fifo: Fifo<I>): void => {
          const items: I[] = [];
          for (let item = fifo.shift(); item !== undefined; item = fifo.shift())
            if (!isReleased(item)) items.push(item);
          for (const item of items) fifo.push(item);
        };
        keep(waiting);
        keep(ready);
        for (const [key, queue] of keyed)
          keyed.set(
            key,
            queue.filter((item) => !isReleased(item)),
          );
        for (let r = running, next: HandlerRun<I, R> | undefined; r; r = next) {
          next = r.nextRun;
          if (!isReleased(r.item)) continue;
          unlinkRun(r);
          cancellable.delete(r);
          r.cancel(new ShutdownError(sourceName(r.item)));
          active--;
          advanceKey(r.key);
        }
        drain();
      }

      const emitFailure = (item: I, error: unknown, durationMs: number): void => {
        if (error instanceof PartialFailure && Array.isArray(item)) {
          const failed = new Set(error.failed);
          const batch = item as readonly Message<unknown>[];
          const ok = batch.filter((m) => !failed.has(m));
          const bad = batch.filter((m) => failed.has(m));
          if (ok.length > 0) subscriber.next({ ok: true, item: ok as unknown as I, value: undefined as R, durationMs });
          if (bad.length > 0)
            subscriber.next({ ok: false, item: bad as unknown as I, error: error.cause ?? error, durationMs });
          return;
        }
        subscriber.next({ ok: false, item, error, durationMs });
      };

      const subscription = source.subscribe({
        next,
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          sourceDone = true;
          if (running || waiting.size > 0 || ready.size > 0) abandonReleased();
          maybeComplete();
        },
      });
      return () => {
        // Nothing runs after teardown: running handlers are cancelled and queued items dropped
        // (they are still unsettled, so their source releases them).
        closed = true;
        subscription.unsubscribe();
        for (const handlerRun of cancellable) handlerRun.cancel(new ShutdownError(sourceName(handlerRun.item)));
        cancellable.clear();
        running = undefined;
        waiting.clear();
        ready.clear();
        keyed.clear();
      };
    });
}

function sourceName(item: Item): string {
  const first = Array.isArray(item) ? (item as readonly Message<unknown>[])[0] : (item as Message<unknown>);
  return first?.source ?? 'unknown';
}
