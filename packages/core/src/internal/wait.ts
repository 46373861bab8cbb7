/** What {@link Interruptible.wait} returns when a stop or a loss came first. */
export const INTERRUPTED: unique symbol = Symbol('interrupted');
export type Interrupted = typeof INTERRUPTED;

/**
 * The one wait in progress of a run (an open, a receive, a backoff sleep), which a stop or a lost
 * connection ends early. One callback slot rather than a race against a long-lived promise, which
 * would keep a reaction per wait for ever.
 *
 * The slot holds the wait's own `resolve`, never a closure made in the Promise executor: such a
 * closure keeps `wait`'s scope, and with it the awaited receive and the batch it resolves with,
 * while the run that owns the slot is old. With that closure there, Node 20 and 22 copied and
 * promoted batch after batch of deliveries at every scavenge until the next full collection (up to
 * 3 MB a scavenge on a Redis list, microseconds of CPU per message); with `resolve`, a few KB.
 */
export class Interruptible {
  private wake: ((interrupted: Interrupted) => void) | undefined;

  /** `interrupted` says whether a wait must not begin (a stop or a loss is already there). */
  constructor(private readonly interrupted: () => boolean) {}

  /** `promise`, or INTERRUPTED if {@link interrupt} comes first. */
  wait<V>(promise: Promise<V>): Promise<V | Interrupted> {
    if (this.interrupted()) return Promise.resolve(INTERRUPTED);
    return new Promise<V | Interrupted>((resolve, reject) => {
      this.wake = resolve;
      promise.then(
        (value) => {
          this.wake = undefined;
          resolve(value);
        },
        (error: unknown) => {
          this.wake = undefined;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Waits `ms`, or less if interrupted. */
  async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await this.wait(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))));
    clearTimeout(timer);
  }

  /** Ends the wait in progress, if any. */
  interrupt(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.(INTERRUPTED);
  }
}
