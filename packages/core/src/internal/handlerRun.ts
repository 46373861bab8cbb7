import { isObservable, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { HandlerTimeoutError, ShutdownError } from '../errors.js';
import type { Message } from '../message.js';
import type { Item } from '../outcome.js';
import { sourceHooks, type SourceHooks, type StopListener } from './sourceHooks.js';

/** What a handler run reports back to its `handle` subscription. */
export interface RunOwner<I extends Item, R> {
  readonly closed: boolean;
  /** Runs that hold something to cancel on teardown (a timer, an inner subscription, a signal). */
  readonly cancellable: Set<HandlerRun<I, R>>;
  finish(run: HandlerRun<I, R>, ok: boolean, valueOrError: unknown, durationMs: number): void;
}

/** Whether every message of `item` was given back to its queue (a drain ran out of time). */
export function isReleased(item: Item): boolean {
  if (!Array.isArray(item)) return (item as Message<unknown>).settlement === 'released';
  for (const m of item as readonly Message<unknown>[]) if (m.settlement !== 'released') return false;
  return true;
}

/**
 * One handler call: one object per item rather than a handful of closures, since it is on the
 * path of every message. It is also the handler's `HandlerContext`: its signal is made only when
 * the handler asks for it, and then also aborts when the message's source begins to stop.
 */
export class HandlerRun<I extends Item, R> implements StopListener {
  private done = false;
  private controller: AbortController | undefined;
  private timer: Subscription | undefined;
  private inner: Subscription | undefined;
  /** The sources whose stop this run listens for (only once its signal was asked for). */
  private watched: SourceHooks | SourceHooks[] | undefined;
  /** The signal was aborted because a source is stopping. */
  private stoppedBySource = false;
  private readonly started = performance.now();
  /** Neighbours in the owner's list of running handlers. */
  prevRun: HandlerRun<I, R> | undefined = undefined;
  nextRun: HandlerRun<I, R> | undefined = undefined;

  constructor(
    private readonly owner: RunOwner<I, R>,
    readonly item: I,
    readonly key: unknown,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      this.owner.cancellable.add(this);
      if (this.done && this.owner.closed) this.controller.abort(new ShutdownError(sourceOf(this.item)));
      else if (!this.done) this.watchSources();
    }
    return this.controller.signal;
  }

  /** The source of each message aborts this run's signal when it begins to stop. */
  private watchSources(): void {
    const item: Item = this.item;
    if (!Array.isArray(item)) {
      const hooks = sourceHooks(item);
      if (hooks === undefined) return;
      const reason = hooks.watchStop(this);
      if (reason !== undefined) this.sourceStopped(reason);
      else this.watched = hooks;
      return;
    }
    const watched: SourceHooks[] = [];
    for (const m of item as readonly Message<unknown>[]) {
      const hooks = sourceHooks(m);
      if (hooks === undefined || watched.includes(hooks)) continue;
      const reason = hooks.watchStop(this);
      if (reason !== undefined) {
        for (const h of watched) h.unwatchStop(this);
        this.sourceStopped(reason);
        return;
      }
      watched.push(hooks);
    }
    if (watched.length > 0) this.watched = watched;
  }

  /** A watched source began to stop. */
  sourceStopped(reason: unknown): void {
    if (this.done || this.controller?.signal.aborted) return;
    this.stoppedBySource = true;
    this.controller?.abort(reason);
  }

  private unwatch(): void {
    const { watched } = this;
    if (!watched) return;
    this.watched = undefined;
    if (Array.isArray(watched)) for (const hooks of watched) hooks.unwatchStop(this);
    else watched.unwatchStop(this);
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

  /** Teardown, or its messages were given back: nothing of this run is reported any more. */
  cancel(reason?: unknown): void {
    this.done = true;
    this.unwatch();
    this.timer?.unsubscribe();
    this.inner?.unsubscribe();
    this.controller?.abort(reason);
  }

  private settle(ok: boolean, valueOrError: unknown): void {
    if (this.done) return;
    this.done = true;
    if (this.timer || this.inner || this.controller) {
      this.unwatch();
      this.timer?.unsubscribe();
      this.inner?.unsubscribe();
      this.owner.cancellable.delete(this);
    }
    const durationMs = performance.now() - this.started;
    const { item } = this;
    const giveBack = !ok && this.stoppedBySource;
    if (Array.isArray(item)) {
      // A batch's messages mostly come from one source: each run of them is told to it at once.
      let hooks: SourceHooks | undefined;
      let counted = 0;
      for (const m of item as readonly Message<unknown>[]) {
        const h = sourceHooks(m);
        if (h !== hooks) {
          if (counted > 0) hooks?.handled(durationMs, counted);
          hooks = h;
          counted = 0;
        }
        counted++;
        if (giveBack) release(m);
      }
      if (counted > 0) hooks?.handled(durationMs, counted);
    } else {
      sourceHooks(item)?.handled(durationMs, 1);
      if (giveBack) release(item as Message<unknown>);
    }
    this.owner.finish(this, ok, valueOrError, durationMs);
  }
}

/**
 * A handler that gave up because its source is stopping: its message goes back to the queue as
 * it was, no attempt counted.
 */
function release(m: Message<unknown>): void {
  if (m.settlement === undefined) sourceHooks(m)?.releaseUnhandled(m);
}

function sourceOf(item: Item): string {
  const first = Array.isArray(item) ? (item as readonly Message<unknown>[])[0] : (item as Message<unknown>);
  return first?.source ?? 'unknown';
}
