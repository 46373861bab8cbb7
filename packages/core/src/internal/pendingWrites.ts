import { RxqError, SettleError } from '../errors.js';

/**
 * The settlement writes of one subscription still in progress. `track` hands back a promise that
 * never rejects (a failure is counted and reported instead: the broker redelivers), and `settled`
 * waits for all of them, so that close never cuts a write short.
 */
export class PendingWrites {
  private readonly pending = new Set<Promise<void>>();
  private last: Promise<void> | undefined;
  private lastTracked: Promise<void> | undefined;

  constructor(private readonly failed: (error: RxqError) => void) {}

  track(promise: Promise<void>): Promise<void> {
    // Connectors that batch hand the same promise to every settlement of a batch: track it once.
    if (promise === this.last) return this.lastTracked as Promise<void>;
    const tracked = promise.then(
      () => {
        this.pending.delete(tracked);
      },
      (error: unknown) => {
        this.pending.delete(tracked);
        this.failed(error instanceof RxqError ? error : new SettleError(error));
      },
    );
    this.pending.add(tracked);
    this.last = promise;
    this.lastTracked = tracked;
    return tracked;
  }

  /** Resolves when every write tracked so far, and any tracked meanwhile, has ended. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
