import { BehaviorSubject, Observable, isObservable, type Subscription } from 'rxjs';
import { exponential } from './backoff.js';
import { json, type Codec, type UntypedCodec } from './codec.js';
import type { Connector, Delivery, UntypedConnector } from './connector.js';
import { InvalidOptionError, type RxqError } from './errors.js';
import type { Message } from './message.js';
import { childLogger, type Logger } from './logger.js';
import { SourceMetrics } from './metrics.js';
import { Run } from './internal/run.js';
import { nonNegative, opt, positiveInt } from './kit/validate.js';
import { rejectUnknownOptions } from './options.js';
import type { StatusEvent } from './status.js';
import { defaultLogger } from './stderrLogger.js';

/** The option names of {@link FromQueueOptions}, for `consume` and for typo checks. @internal */
export const FROM_QUEUE_KEYS = [
  'maxInFlight',
  'codec',
  'reconnect',
  'stop',
  'drainTimeoutMs',
  'closeTimeoutMs',
  'onError',
  'logger',
] as const;

/** Any connector, whatever its body type: for a source whose options name the codec. */
export type AnyConnector<D extends Delivery = Delivery> = Pick<Connector<D>, 'name' | 'open'>;

export type { SourceStatus, StatusEvent } from './status.js';

/** How a source reconnects after a lost connection. */
export interface ReconnectOptions {
  /** First delay. @default 100 */
  readonly initialMs?: number;
  /** Largest delay. @default 30_000 */
  readonly maxMs?: number;
  /** Tries before the stream errors with `ConnectionGaveUpError`. @default Infinity (never gives up) */
  readonly maxRetries?: number;
}

/** Options of {@link fromQueue}. */
export interface FromQueueOptions<T = unknown> {
  /**
   * The most messages emitted and not yet settled, per subscription. The connector pulls, pauses
   * or prefetches by it, so memory stays bounded whatever the backlog.
   * @default 256
   */
  readonly maxInFlight?: number;
  /**
   * Turns payloads into bodies; its type is the body type (`text` gives `Message<string>`,
   * `schemaCodec(Order)` the schema's type). @default the connector's default codec, else `json`
   */
  readonly codec?: Codec<T>;
  /** Reconnect policy: exponential backoff with jitter. */
  readonly reconnect?: ReconnectOptions;
  /**
   * Graceful shutdown: when this aborts or emits, the intake stops, in-flight messages get
   * `drainTimeoutMs` to settle, the rest is released, and the stream completes.
   */
  readonly stop?: AbortSignal | Observable<unknown>;
  /**
   * How long a graceful stop waits for in-flight messages to settle. Handlers' `context.signal`
   * aborts when the drain begins; what is unsettled after it is released (back to the queue, no
   * attempt counted), no handler starts on it, and the stream completes without waiting for
   * handlers of released messages. @default 30_000
   */
  readonly drainTimeoutMs?: number;
  /**
   * After the drain, how long the source waits for pending settlement writes and the sessions'
   * `close()` before it completes anyway (told to `onError` as a `CloseError`; the broker
   * redelivers what it did not see settled). A stop takes at most `drainTimeoutMs` +
   * `closeTimeoutMs`. @default 10_000
   */
  readonly closeTimeoutMs?: number;
  /** Told of errors that do not end the stream (a settlement the broker refused). @default ignore */
  readonly onError?: (error: RxqError) => void;
  /**
   * Where the source and its connector log (pino's shape: `logger.warn({ …fields }, 'message')`).
   * rxq logs connect and drain at `info`; reconnects with their cause, lost connections, poison
   * messages with their reason and refused settlements at `warn`; a source that ends with an
   * error at `error`. Never a body or a credential.
   * @default one line per record on stderr at level `warn` and above (`RXQ_LOG=debug|info|warn|error|silent` changes the level)
   */
  readonly logger?: Logger;
}

/**
 * A source of messages: an Observable with the status and metrics of its subscriptions and a
 * graceful `stop()`.
 */
export class QueueObservable<T, X = unknown> extends Observable<Message<T, X>> {
  /** Status changes of the source's subscriptions, starting with the current one. */
  readonly status$: Observable<StatusEvent>;
  /** Counters and gauges, shared by every subscription. */
  readonly metrics: SourceMetrics;
  readonly name: string;
  /** The connector's broker as OpenTelemetry's `messaging.system` names it, if it says. */
  readonly system: string | undefined;
  private readonly runs = new Set<Run<T>>();

  /** @internal Use {@link fromQueue}. */
  constructor(
    connector: AnyConnector & { readonly defaultCodec?: Codec<unknown>; readonly system?: string },
    options: FromQueueOptions<T>,
  ) {
    rejectUnknownOptions(options, FROM_QUEUE_KEYS);
    rejectUnknownOptions(options.reconnect, ['initialMs', 'maxMs', 'maxRetries'], 'reconnect');
    const maxInFlight = opt(options.maxInFlight, 256, (v) => positiveInt('maxInFlight', v));
    const drainTimeoutMs = opt(options.drainTimeoutMs, 30_000, (v) => nonNegative('drainTimeoutMs', v, true));
    const closeTimeoutMs = opt(options.closeTimeoutMs, 10_000, (v) => nonNegative('closeTimeoutMs', v, true));
    const reconnect = options.reconnect ?? {};
    const maxRetries = opt(reconnect.maxRetries, Infinity, (v) => nonNegative('reconnect.maxRetries', v, true));
    const reconnectBackoff = exponential({
      initialMs: opt(reconnect.initialMs, 100, (v) => nonNegative('reconnect.initialMs', v)),
      maxMs: opt(reconnect.maxMs, 30_000, (v) => nonNegative('reconnect.maxMs', v)),
      jitter: 0.5,
    });
    const codec = (options.codec ?? connector.defaultCodec ?? json) as Codec<T>;
    if (typeof codec?.decode !== 'function') throw new InvalidOptionError('codec', 'a Codec with decode()', codec);
    const stop = options.stop;
    if (stop !== undefined && !isObservable(stop) && !(stop instanceof AbortSignal))
      throw new InvalidOptionError('stop', 'an AbortSignal or an Observable', stop);
    const onError = options.onError ?? (() => undefined);
    if (options.logger !== undefined && typeof options.logger?.warn !== 'function')
      throw new InvalidOptionError('logger', 'a Logger (debug, info, warn, error)', options.logger);
    const logger = childLogger(options.logger ?? defaultLogger(), { source: connector.name });
    const metrics = new SourceMetrics();
    const status = new BehaviorSubject<StatusEvent>({ status: 'idle', at: Date.now() });

    super((subscriber) => {
      const run: Run<T> = new Run<T>(
        {
          connector,
          codec,
          maxInFlight,
          drainTimeoutMs,
          closeTimeoutMs,
          reconnectBackoff,
          maxRetries,
          metrics,
          status: (event) => status.next(event),
          onError,
          logger,
        },
        subscriber,
      );
      this.runs.add(run);
      let stopSubscription: Subscription | undefined;
      const drain = (): void => void run.stop('drain');
      if (stop instanceof AbortSignal) {
        if (stop.aborted) drain();
        else stop.addEventListener('abort', drain, { once: true });
      } else if (stop) {
        // A stop signal that errors can no longer say stop: take the error as the signal.
        stopSubscription = stop.subscribe({ next: drain, error: drain });
      }
      return () => {
        if (stop instanceof AbortSignal) stop.removeEventListener('abort', drain);
        stopSubscription?.unsubscribe();
        // Kept until closed, so that stop() also waits for a run an unsubscribe is closing.
        const forget = (): void => void this.runs.delete(run);
        run.stop('now').then(forget, forget);
      };
    });
    this.name = connector.name;
    this.system = typeof connector.system === 'string' && connector.system !== '' ? connector.system : undefined;
    this.metrics = metrics;
    this.status$ = status.asObservable();
  }

  /**
   * Gracefully stops every subscription: no new messages, running handlers' signals abort,
   * in-flight messages get `drainTimeoutMs` to settle, the rest is released, then the streams
   * complete (within `closeTimeoutMs` more). Resolves when all are closed,
   * including those an unsubscribe is still closing (their settlements written).
   */
  async stop(): Promise<void> {
    await Promise.all([...this.runs].map((run) => run.stop('drain')));
  }
}

/**
 * Turns a queue into a cold Observable of messages, never holding more than `maxInFlight`
 * unsettled.
 *
 * Subscribing connects; unsubscribing stops the intake and releases every unsettled message back
 * to the queue (or leaves it for the broker to redeliver). A lost connection is retried with
 * exponential backoff and jitter, forever by default; `status$` shows it. A body that cannot be
 * decoded is dead-lettered with reason `decode` (`invalid` for a schema's `ValidationError`) and
 * never emitted. The stream errors only for a non-retryable connector error or after
 * `reconnect.maxRetries`. A graceful stop aborts running handlers' `context.signal`, drains for
 * `drainTimeoutMs`, releases the rest and completes within `closeTimeoutMs` more.
 *
 * Types: the body type `T` is the codec's — the `codec` option's, else the connector's (a
 * connector built with `codec: text` gives `Message<string>`) — and `X`, the type of
 * `message.transport`, is the connector's `Delivery['transport']`. A type argument may only narrow
 * a body the codec calls `unknown` (JSON): `fromQueue<Order>(connector, { codec: text })` does not
 * compile; use `schemaCodec` to have the type checked at run time.
 *
 * ```
 * queue:    a b c d e f …           (maxInFlight: 2)
 * source:   a b - - c - d …         c waits until a settles
 * ```
 *
 * @example
 * fromQueue(memory(queue), { maxInFlight: 256, stop: shutdownSignal() })
 *   .pipe(handle(work, { concurrency: 32 }), retryWithResend({ maxAttempts: 5, backoff: exponential() }), ack())
 *   .subscribe();
 */
export function fromQueue<T, D extends Delivery = Delivery>(
  connector: AnyConnector<D>,
  options: FromQueueOptions<T> & { readonly codec: Codec<T> },
): QueueObservable<T, D['transport']>;
export function fromQueue<T, D extends Delivery = Delivery>(
  connector: AnyConnector<D>,
  options: Omit<FromQueueOptions<T>, 'codec'> & { readonly codec: UntypedCodec },
): QueueObservable<T, D['transport']>;
export function fromQueue<T = unknown, D extends Delivery = Delivery>(
  connector: Connector<D, T> | UntypedConnector<D>,
  options?: FromQueueOptions<T>,
): QueueObservable<T, D['transport']>;
export function fromQueue<T>(
  connector: AnyConnector & { readonly defaultCodec?: Codec<unknown> },
  options: FromQueueOptions<T> = {},
): QueueObservable<T> {
  if (connector === null || typeof connector !== 'object' || typeof connector.open !== 'function')
    throw new InvalidOptionError('source', 'a Connector (an object with open())', connector);
  return new QueueObservable<T>(connector, options);
}
