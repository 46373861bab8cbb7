const RESOLVED: Promise<void> = Promise.resolve();

/**
 * How many of one session's messages are in flight (handed to the application, not yet settled),
 * and a wait for none. `fromQueue` keeps one per session and shows it to the session as
 * `context.inFlight` and `context.settled()`; whatever else opens sessions of a connector (a
 * gateway serving one) keeps one per session the same way, so that no session counts for itself.
 *
 * @example
 * const count = new InFlightCount();
 * const session = await connector.open({ maxInFlight, logger, lost, get inFlight() { return count.inFlight; }, settled: () => count.settled() });
 * count.add(deliveries.length); // handed out
 * count.remove(1); // one settled
 */
export class InFlightCount {
  /** Handed out and not yet settled. */
  inFlight = 0;
  private waiters: (() => void)[] | undefined;

  /** Counts `count` messages handed out. */
  add(count = 1): void {
    this.inFlight += count;
  }

  /** Counts `count` messages settled; ends the waits of {@link settled} when none is left. */
  remove(count = 1): void {
    this.inFlight -= count;
    if (this.inFlight <= 0 && this.waiters !== undefined) {
      const waiters = this.waiters;
      this.waiters = undefined;
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves when none is in flight: at once if none is. */
  settled(): Promise<void> {
    if (this.inFlight <= 0) return RESOLVED;
    return new Promise<void>((resolve) => (this.waiters ??= []).push(resolve));
  }
}
