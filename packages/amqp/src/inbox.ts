interface Waiter<T> {
  readonly max: number;
  readonly resolve: (items: readonly T[]) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The buffer between `basic.consume` (push) and `receive` (pull). The prefetch bounds it. A
 * waiting `receive` is woken once the socket chunk in hand is parsed (a microtask later), so it
 * takes a batch rather than one delivery, or resolves empty after `pollMs`.
 */
export class Inbox<T> {
  private items: T[] = [];
  private waiter: Waiter<T> | undefined;
  private wakeScheduled = false;
  /** Once ended, `receive` resolves at once with what is left (or nothing). */
  private ended = false;

  constructor(private readonly pollMs: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.waiter && !this.wakeScheduled) {
      this.wakeScheduled = true;
      queueMicrotask(() => this.wake());
    }
  }

  /** Up to `max` items; waits for the first one up to `pollMs`. */
  receive(max: number): Promise<readonly T[]> {
    if (this.items.length > 0 || this.ended) return Promise.resolve(this.take(max));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve([]);
      }, this.pollMs);
      this.waiter = { max, resolve, reject, timer };
    });
  }

  /** No more waiting: a waiting receive resolves empty, later ones at once. */
  end(): void {
    this.ended = true;
    this.settleWaiter((w) => w.resolve([]));
  }

  /** Drops what is buffered and rejects a waiting receive with `error`. */
  fail(error: unknown): void {
    this.ended = true;
    this.items = [];
    this.settleWaiter((w) => w.reject(error));
  }

  /** Drops what is buffered (the broker requeues it when the channel closes). */
  clear(): void {
    this.items = [];
  }

  private wake(): void {
    this.wakeScheduled = false;
    if (this.items.length === 0) return;
    const max = this.waiter?.max ?? 0;
    this.settleWaiter((w) => w.resolve(this.take(max)));
  }

  private settleWaiter(settle: (waiter: Waiter<T>) => void): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    settle(waiter);
  }

  private take(max: number): T[] {
    return max >= this.items.length ? this.items.splice(0) : this.items.splice(0, max);
  }
}
