import { isObservable, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { HandlerTimeoutError } from '../errors.js';
import type { Message } from '../message.js';
import type { Item } from '../outcome.js';
import { recordHandlerDuration } from './messageImpl.js';

/** What a handler run reports back to its `handle` subscription. */
export interface RunOwner<I extends Item, R> {
  readonly closed: boolean;
  /** Runs that hold something to cancel on teardown (a timer, an inner subscription, a signal). */
  readonly cancellable: Set<HandlerRun<I, R>>;
  finish(run: HandlerRun<I, R>, ok: boolean, valueOrError: unknown, durationMs: number): void;
}

/**
 * One handler call: one object per item rather than a handful of closures, since it is on the
 * path of every message. It is also the handler's `HandlerContext`: its signal is made only when
 * the handler asks for it.
 */
export class HandlerRun<I extends Item, R> {
  private done = false;
  private controller: AbortController | undefined;
  private timer: Subscription | undefined;
  private inner: Subscription | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly owner: RunOwner<I, R>,
    readonly item: I,
    readonly key: unknown,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      this.owner.cancellable.add(this);
      if (this.done && this.owner.closed) this.controller.abort();
    }
    return this.controller.signal;
  }

  start(
    fn: (item: I, context: HandlerRun<I, R>) => R | PromiseLike<R> | Observable<R>,
    timeoutMs: number | undefined,
    scheduler: SchedulerLike,
  ): void {
    if (timeoutMs !== undefined) {
      this.owner.cancellable.add(this);
      this.timer = scheduler.schedule(() => {
        const error = new HandlerTimeoutError(timeoutMs);
        this.controller?.abort(error);
        this.settle(false, error);
      }, timeoutMs);
    }
    let result: R | PromiseLike<R> | Observable<R>;
    try {
      result = fn(this.item, this);
    } catch (error) {
      this.settle(false, error);
      return;
    }
    if (isObservable(result)) {
      let last: R | undefined;
      this.owner.cancellable.add(this);
      this.inner = result.subscribe({
        next: (v) => (last = v),
        error: (e: unknown) => this.settle(false, e),
        complete: () => this.settle(true, last),
      });
      if (this.done) this.inner.unsubscribe();
    } else if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<R>).then === 'function') {
      (result as PromiseLike<R>).then(
        (v) => this.settle(true, v),
        (e: unknown) => this.settle(false, e),
      );
    } else {
      this.settle(true, result);
    }
  }

  /** Teardown: nothing of this run is reported any more. */
  cancel(): void {
    this.done = true;
    this.timer?.unsubscribe();
    this.inner?.unsubscribe();
    this.controller?.abort();
  }

  private settle(ok: boolean, valueOrError: unknown): void {
    if (this.done) return;
    this.done = true;
    if (this.timer || this.inner || this.controller) {
      this.timer?.unsubscribe();
      this.inner?.unsubscribe();
      this.owner.cancellable.delete(this);
    }
    const durationMs = performance.now() - this.started;
    const { item } = this;
    if (Array.isArray(item)) for (const m of item as readonly Message<unknown>[]) recordHandlerDuration(m, durationMs);
    else recordHandlerDuration(item, durationMs);
    this.owner.finish(this, ok, valueOrError, durationMs);
  }
}
