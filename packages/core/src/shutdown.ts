import { Observable } from 'rxjs';

/** Options of {@link shutdownSignal}. */
export interface ShutdownSignalOptions {
  /** Process signals to listen for. @default ['SIGTERM', 'SIGINT'] */
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * Emits the name of the first process signal received (SIGTERM or SIGINT by default), then
 * completes. While subscribed, those signals no longer end the process at once: pass it as a
 * source's `stop` and the consumer drains, settles and closes, then the process can exit.
 *
 * @example
 * fromQueue(redis('jobs'), { stop: shutdownSignal() }).pipe(handle(work), ack()).subscribe({ complete: () => process.exit(0) });
 */
export function shutdownSignal(options: ShutdownSignalOptions = {}): Observable<NodeJS.Signals> {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  return new Observable<NodeJS.Signals>((subscriber) => {
    const on = (signal: NodeJS.Signals): void => {
      subscriber.next(signal);
      subscriber.complete();
    };
    for (const s of signals) process.once(s, on);
    return () => {
      for (const s of signals) process.off(s, on);
    };
  });
}
