import type { Observable } from 'rxjs';
import { exponential, type Backoff } from './backoff.js';
import type { Codec } from './codec.js';
import type { Connector, Delivery, UntypedConnector } from './connector.js';
import { InvalidOptionError } from './errors.js';
import {
  FROM_QUEUE_KEYS,
  QueueObservable,
  type AnyConnector,
  type FromQueueOptions,
  type StatusEvent,
} from './fromQueue.js';
import { childLogger } from './logger.js';
import type { Message } from './message.js';
import type { MetricsSnapshot } from './metrics.js';
import { ack, type SettlementRecord } from './operators/ack.js';
import { handle, type Handler, type HandleOptions } from './operators/handle.js';
import { retryWithResend } from './operators/retryWithResend.js';
import { rejectUnknownOptions } from './options.js';
import { defaultLogger } from './stderrLogger.js';

/** Options of {@link consume}: the source's, the handler's and the retry policy's in one object. */
export interface ConsumeOptions<T = unknown, X = unknown>
  extends FromQueueOptions<T>,
    Pick<HandleOptions<Message<T, X>>, 'concurrency' | 'timeoutMs' | 'key'> {
  /** Attempts in all before a message is dead-lettered. @default 5 */
  readonly maxAttempts?: number;
  /** Delay between attempts. @default exponential({ initialMs: 200, maxMs: 30_000 }) */
  readonly backoff?: Backoff;
  /** Told of every settled message. @default ignore */
  readonly onSettled?: (record: SettlementRecord) => void;
  /**
   * Told once when the consumer stops for good with an error (a non-retryable connector error,
   * `reconnect.maxRetries` used up), after the logger has recorded it at `error`. `done` rejects
   * with the same error. @default nothing beyond the log line
   */
  readonly onFatal?: (error: unknown) => void;
}

const CONSUME_KEYS = [
  ...FROM_QUEUE_KEYS,
  'concurrency',
  'timeoutMs',
  'key',
  'maxAttempts',
  'backoff',
  'onSettled',
  'onFatal',
] as const;

/** A running consumer. */
export interface Consumer {
  /** Graceful stop: no new messages, in-flight ones drain and settle, then close. */
  stop(): Promise<void>;
  /**
   * Resolves when the consumer has closed; rejects if it stopped for good with an error. Not
   * awaiting it is safe: the error is also logged and told to `onFatal` and `status$`.
   */
  readonly done: Promise<void>;
  /** Status changes; the last one is `closed`, with `error` when the consumer stopped for good. */
  readonly status$: Observable<StatusEvent>;
  metrics(): MetricsSnapshot;
}

/**
 * The one-call consumer: a queue, a handler and options in, a running consumer out. Equivalent to
 * `fromQueue(connector, options).pipe(handle(fn, options), retryWithResend(options), ack())`.
 * The body type comes from `options.codec`, else from the connector's codec, as with `fromQueue`.
 * A consumer that stops for good says so: an `error` log line, `onFatal`, `status$` (`closed`
 * with the error) and `done`.
 *
 * @example
 * const consumer = consume(redis('emails'), async (msg) => send(msg.body), { concurrency: 16, maxAttempts: 5, stop: shutdownSignal() });
 * await consumer.done;
 */
export function consume<T, D extends Delivery = Delivery>(
  connector: AnyConnector<D>,
  handler: Handler<Message<T, D['transport']>, unknown>,
  options: ConsumeOptions<T, D['transport']> & { readonly codec: Codec<T> },
): Consumer;
export function consume<T = unknown, D extends Delivery = Delivery>(
  connector: Connector<D, T> | UntypedConnector<D>,
  handler: Handler<Message<T, D['transport']>, unknown>,
  options?: ConsumeOptions<T, D['transport']>,
): Consumer;
export function consume<T>(
  connector: AnyConnector & { readonly defaultCodec?: Codec<unknown> },
  handler: Handler<Message<T>, unknown>,
  options: ConsumeOptions<T> = {},
): Consumer {
  if (connector === null || typeof connector !== 'object' || typeof connector.open !== 'function')
    throw new InvalidOptionError('source', 'a Connector (an object with open())', connector);
  rejectUnknownOptions(options, CONSUME_KEYS);
  const sourceOptions: { -readonly [K in keyof FromQueueOptions<T>]?: unknown } = {};
  for (const key of FROM_QUEUE_KEYS) if (options[key] !== undefined) sourceOptions[key] = options[key];
  const source = new QueueObservable<T>(connector, sourceOptions as FromQueueOptions<T>);
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
  const { onSettled, onFatal } = options;
  if (onFatal !== undefined && typeof onFatal !== 'function')
    throw new InvalidOptionError('onFatal', 'a function', onFatal);
  const logger = childLogger(options.logger ?? defaultLogger(), { source: connector.name });
  const done = new Promise<void>((resolve, reject) => {
    pipeline.subscribe({
      next: (r) => onSettled?.(r),
      error: (error: unknown) => {
        logger.error({ err: error }, 'the consumer stopped for good');
        try {
          onFatal?.(error);
        } finally {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      },
      complete: resolve,
    });
  });
  // A caller who only ever calls stop() must not crash the process on an unhandled rejection: the
  // error has been logged and told to onFatal; awaiting `done` still sees it.
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
