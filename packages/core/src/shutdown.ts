import { Observable } from 'rxjs';
import { rejectUnknownOptions } from './options.js';

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
  rejectUnknownOptions(options, ['signals']);
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  return new Observable<NodeJS.Signals>((subscriber) => {
    // One listener per signal, bound to its name: `process.emit('SIGTERM')` passes no argument.
    const listeners = signals.map((signal) => {
      const on = (): void => {
        subscriber.next(signal);
        subscriber.complete();
      };
      process.once(signal, on);
      return [signal, on] as const;
    });
    return () => {
      for (const [signal, on] of listeners) process.off(signal, on);
    };
  });
}
