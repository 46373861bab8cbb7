interface Waiter<T> {
  readonly max: number;
  readonly resolve: (items: readonly T[]) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The buffer between a client that pushes (a consume callback, a socket) and a session's
 * `receive(max)`, which pulls. The credit bounds it: push no more than the broker was allowed to
 * send. A waiting `receive` is woken a microtask after the first push, so that it takes what the
 * chunk in hand brings as one batch rather than one item; it resolves empty after `pollMs` when
 * nothing comes, so that the source can look around.
 *
 * @example
 * const inbox = new PullBuffer<MyDelivery>(1_000);
 * channel.consume(queue, (m) => inbox.push(toDelivery(m)));
 * channel.on('close', () => {
 *   inbox.drop();
 *   context.lost(new ConnectionLostError('channel closed'));
 * });
 * session.receive = (max) => inbox.receive(max);
 */
export class PullBuffer<T> {
  private items: T[] = [];
  private waiter: Waiter<T> | undefined;
  private wakeScheduled = false;
  /** Once ended, `receive` resolves at once with what is left (or nothing). */
  private ended = false;

  /** @param pollMs how long a `receive` waits for the first item before it resolves empty. */
  constructor(private readonly pollMs: number) {}

  /** How many items wait to be received. */
  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.waiter && !this.wakeScheduled) {
      this.wakeScheduled = true;
      queueMicrotask(() => this.wake());
    }
  }

  /** Up to `max` items; waits for the first one up to `pollMs`. One receive at a time. */
  receive(max: number): Promise<readonly T[]> {
    if (this.items.length > 0 || this.ended) return Promise.resolve(this.take(max));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve([]);
      }, this.pollMs);
      this.waiter = { max, resolve, timer };
    });
  }

  /** No more waiting: a waiting receive resolves empty, later ones at once with what is left. */
  end(): void {
    this.ended = true;
    this.settleWaiter((w) => w.resolve([]));
  }

  /**
   * The connection is gone: drops what is buffered (the broker delivers it again) and ends, so a
   * waiting receive resolves empty. Report the loss itself through `context.lost`, its one channel.
   */
  drop(): void {
    this.items = [];
    this.end();
  }

  /** Drops what is buffered and returns it (the broker requeues it when the channel closes). */
  clear(): T[] {
    const items = this.items;
    this.items = [];
    return items;
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
