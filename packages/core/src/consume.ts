import type { Observable } from 'rxjs';
import { exponential, type Backoff } from './backoff.js';
import type { Connector } from './connector.js';
import { fromQueue, type FromQueueOptions, type StatusEvent } from './fromQueue.js';
import type { Message } from './message.js';
import type { MetricsSnapshot } from './metrics.js';
import { ack, type SettlementRecord } from './operators/ack.js';
import { handle, type Handler, type HandleOptions } from './operators/handle.js';
import { retryWithResend } from './operators/retryWithResend.js';

/** Options of {@link consume}: the source's, the handler's and the retry policy's in one object. */
export interface ConsumeOptions<T>
  extends FromQueueOptions<T>,
    Pick<HandleOptions<Message<T>>, 'concurrency' | 'timeoutMs' | 'key'> {
  /** Attempts in all before a message is dead-lettered. @default 5 */
  readonly maxAttempts?: number;
  /** Delay between attempts. @default exponential({ initialMs: 200, maxMs: 30_000 }) */
  readonly backoff?: Backoff;
  /** Told of every settled message. @default ignore */
  readonly onSettled?: (record: SettlementRecord) => void;
}

/** A running consumer. */
export interface Consumer {
  /** Graceful stop: no new messages, in-flight ones drain and settle, then close. */
  stop(): Promise<void>;
  /** Resolves when the consumer has closed; rejects if its source gave up. */
  readonly done: Promise<void>;
  readonly status$: Observable<StatusEvent>;
  metrics(): MetricsSnapshot;
}

/**
 * The one-call consumer: a queue, a handler and options in, a running consumer out. Equivalent to
 * `fromQueue(connector, options).pipe(handle(fn, options), retryWithResend(options), ack())`.
 *
 * @example
 * const consumer = consume(redis('emails'), async (msg) => send(msg.body), { concurrency: 16, maxAttempts: 5, stop: shutdownSignal() });
 * await consumer.done;
 */
export function consume<T = unknown>(
  connector: Connector,
  handler: Handler<Message<T>, unknown>,
  options: ConsumeOptions<T> = {},
): Consumer {
  const source = fromQueue<T>(connector, options);
  const handleOptions: { -readonly [K in 'concurrency' | 'timeoutMs' | 'key']?: HandleOptions<Message<T>>[K] } = {};
  if (options.concurrency !== undefined) handleOptions.concurrency = options.concurrency;
  if (options.timeoutMs !== undefined) handleOptions.timeoutMs = options.timeoutMs;
  if (options.key !== undefined) handleOptions.key = options.key;
  const pipeline = source.pipe(
    handle(handler, handleOptions),
    retryWithResend({
      maxAttempts: options.maxAttempts ?? 5,
      backoff: options.backoff ?? exponential({ initialMs: 200, maxMs: 30_000 }),
    }),
    ack(),
  );
  const onSettled = options.onSettled;
  const done = new Promise<void>((resolve, reject) => {
    pipeline.subscribe({ next: (r) => onSettled?.(r), error: reject, complete: resolve });
  });
  // A caller who only ever calls stop() must not crash the process on an unhandled rejection;
  // awaiting `done` still sees the error.
  done.catch(() => undefined);
  return {
    stop: async () => {
      await source.stop();
      await done;
    },
    done,
    status$: source.status$,
    metrics: () => source.metrics.snapshot(),
  };
}
