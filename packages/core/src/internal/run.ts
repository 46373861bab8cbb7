import { setMaxListeners } from 'node:events';
import type { Subscriber } from 'rxjs';
import type { Codec } from '../codec.js';
import type { Connector, Delivery, OpenContext, Session } from '../connector.js';
import type { Logger } from '../logger.js';
import {
  CloseError,
  ConnectionGaveUpError,
  ConnectionLostError,
  errorInfo,
  isRetryable,
  ShutdownError,
  ValidationError,
  type RxqError,
} from '../errors.js';
import type { Message, NackOptions, ResendOptions, Settlement } from '../message.js';
import type { SourceMetrics } from '../metrics.js';
import { MessageImpl, type MessageOwner } from './messageImpl.js';
import { PendingWrites } from './pendingWrites.js';
import { reportPoison } from '../instrumentation.js';
import type { Backoff } from '../backoff.js';
import type { StatusEvent, SourceStatus } from '../fromQueue.js';

/** Settings a run takes from `fromQueue`'s validated options. */
export interface RunSettings<T> {
  readonly connector: Pick<Connector, 'name' | 'open'>;
  readonly codec: Codec<T>;
  readonly maxInFlight: number;
  readonly drainTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly reconnectBackoff: Backoff;
  readonly maxRetries: number;
  readonly metrics: SourceMetrics;
  readonly status: (event: StatusEvent) => void;
  readonly onError: (error: RxqError) => void;
  /** Bound to the source's name. */
  readonly logger: Logger;
}

const RESOLVED: Promise<void> = Promise.resolve();
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Calls a connector method, turning a synchronous throw into a rejection. */
function call(op: () => Promise<void>): Promise<void> {
  try {
    return op();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
/** What `receiveAndEmit` returns when the pump goes on. */
const CONTINUE = Symbol('continue');
const INTERRUPTED = Symbol('interrupted');

/**
 * One subscription to a source: opens sessions, pulls by credit, emits decoded messages, keeps
 * the unsettled ones in an intrusive list, reconnects with backoff, and drains on stop.
 */
export class Run<T> implements MessageOwner {
  readonly metrics: SourceMetrics;
  private inFlight = 0;
  private head: MessageImpl<unknown> | undefined;
  private readonly writes: PendingWrites;
  /** Give-backs of receives that resolved after the stop or loss that abandoned them. */
  private readonly lateReceives = new Set<Promise<void>>();
  private stopping: 'drain' | 'now' | undefined;
  /** Ends the wait in progress (a receive or a backoff sleep) when stop or a loss comes. */
  private interruptWait: (() => void) | undefined;
  private creditWaiter: (() => void) | undefined;
  private lostError: unknown;
  private sessions = new Set<Session>();
  /** Reconnect tries since the last receive that worked. */
  private retries = 0;
  private generation = 0;
  /** Aborted when a stop begins or the run ends: the source side of handlers' signals. */
  private stopController: AbortController | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly settings: RunSettings<T>,
    private readonly subscriber: Subscriber<Message<T>>,
  ) {
    this.metrics = settings.metrics;
    this.writes = new PendingWrites((error) => {
      this.metrics.settleErrors++;
      settings.logger.warn({ err: error }, 'a settlement failed; the broker will redeliver the message');
      settings.onError(error);
    });
    // A bug in a connector (a throw where a rejection was due) must end the stream loudly, never
    // leave it hanging or become an unhandled rejection.
    this.done = this.main().catch((error: unknown) => {
      this.settings.logger.error({ err: error }, 'the source failed');
      this.status('closed', error);
      this.subscriber.error(error);
    });
  }

  /** Stop the intake; with `drain`, let in-flight messages settle first. Resolves when closed. */
  stop(mode: 'drain' | 'now'): Promise<void> {
    if (this.stopping === undefined && mode === 'drain')
      this.settings.logger.info({ inFlight: this.inFlight }, 'stopping: draining in-flight messages');
    if (this.stopping !== 'now') this.stopping = mode;
    this.abortHandlers();
    for (const session of this.sessions) session.stopIntake?.();
    this.interrupt();
    return this.done;
  }

  /** The source side of a handler's `context.signal`: aborts when a stop begins. */
  stopSignal(): AbortSignal {
    if (!this.stopController) {
      this.stopController = new AbortController();
      // Every running handler that reads its signal listens here: as many as `concurrency`, which
      // is no leak, so no MaxListenersExceededWarning past ten.
      setMaxListeners(0, this.stopController.signal);
      if (this.stopping) this.stopController.abort(new ShutdownError(this.settings.connector.name));
    }
    return this.stopController.signal;
  }

  private abortHandlers(): void {
    const controller = this.stopController;
    if (controller && !controller.signal.aborted) controller.abort(new ShutdownError(this.settings.connector.name));
  }

  private status(status: SourceStatus, error?: unknown, retry?: number): void {
    const event: { status: SourceStatus; at: number; error?: unknown; retry?: number } = { status, at: Date.now() };
    if (error !== undefined) event.error = error;
    if (retry !== undefined) event.retry = retry;
    this.settings.status(event);
  }

  private async main(): Promise<void> {
    const { connector } = this.settings;
    let failure: unknown;
    this.status('connecting');
    while (!this.stopping) {
      let session: Session;
      try {
        this.lostError = undefined;
        // A loss reported by an older session (while it closes) must not end the new one.
        const generation = ++this.generation;
        const context: OpenContext = {
          maxInFlight: this.settings.maxInFlight,
          lost: (e) => {
            if (generation === this.generation) this.lost(e);
          },
          logger: this.settings.logger,
        };
        const opening = connector.open(context);
        const opened = await this.interruptible(opening);
        if (opened === INTERRUPTED) {
          // A stop (or a loss reported while opening) came first: close the session once it
          // opens; a stop waits for that no longer than closeTimeoutMs.
          const late: Promise<void> = opening
            .then(
              (s) => this.closeQuietly(s),
              () => undefined,
            )
            .finally(() => this.lateReceives.delete(late));
          this.lateReceives.add(late);
          if (this.stopping) break;
          const lost = this.lostError;
          throw lost instanceof Error ? lost : new ConnectionLostError('connection lost while opening', lost);
        }
        session = opened;
      } catch (error) {
        this.settings.logger.warn({ err: error }, 'could not connect');
        failure = await this.backOff(error);
        if (failure !== undefined) break;
        continue;
      }
      this.sessions.add(session);
      if (this.stopping) break;
      this.status('connected');
      this.settings.logger.info({}, this.retries > 0 ? 'reconnected' : 'connected');
      const lost = await this.pump(session);
      if (lost === undefined) break;
      this.settings.logger.warn({ err: lost }, 'connection lost');
      this.lostError = undefined;
      this.sessions.delete(session);
      void this.closeQuietly(session);
      failure = await this.backOff(lost);
      if (failure !== undefined) break;
    }
    await this.finish(failure);
  }

  /**
   * After a failed open or a lost session: waits out the reconnect backoff and returns nothing,
   * or returns the error that ends the stream (non-retryable, or `maxRetries` used up).
   */
  private async backOff(error: unknown): Promise<unknown> {
    const { connector, maxRetries, reconnectBackoff } = this.settings;
    if (!isRetryable(error)) return error;
    if (this.retries >= maxRetries) return new ConnectionGaveUpError(connector.name, this.retries, error);
    this.retries++;
    const delayMs = reconnectBackoff(this.retries);
    this.settings.logger.warn({ retry: this.retries, delayMs, err: error }, 'reconnecting');
    this.status('reconnecting', error, this.retries);
    await this.sleep(delayMs);
    return undefined;
  }

  /** Pulls and emits until stopped (returns undefined) or the session is lost (returns the error). */
  private async pump(session: Session): Promise<unknown> {
    while (!this.stopping) {
      if (this.lostError !== undefined) return this.lostError;
      const credit = this.settings.maxInFlight - this.inFlight;
      if (credit <= 0) {
        await new Promise<void>((resolve) => (this.creditWaiter = resolve));
        this.creditWaiter = undefined;
        continue;
      }
      const end = await this.receiveAndEmit(session, credit);
      if (end !== CONTINUE) return end;
    }
    return undefined;
  }

  /**
   * One receive: emits what it brings and returns CONTINUE, or returns what ends the pump. A
   * method of its own so that the pump, waiting for the next receive, keeps nothing of this batch
   * alive (its messages hold their deliveries for as long as they are unsettled).
   */
  private async receiveAndEmit(session: Session, credit: number): Promise<unknown> {
    let batch: readonly Delivery[] | typeof INTERRUPTED;
    const receiving = session.receive(credit);
    try {
      batch = await this.interruptible(receiving);
    } catch (error) {
      return error;
    }
    if (batch === INTERRUPTED || this.stopping) {
      // The receive may still deliver: give back whatever it brings.
      const late = batch === INTERRUPTED ? receiving : Promise.resolve(batch);
      // Not a settlement: close() must not wait for it, since closing is what ends the receive.
      const givenBack = late
        .then((ds) => (ds.length > 0 ? this.giveBack(session, ds) : undefined))
        .catch(() => undefined)
        .finally(() => this.lateReceives.delete(givenBack));
      this.lateReceives.add(givenBack);
      if (this.stopping) return undefined;
      return this.lostError;
    }
    this.retries = 0;
    const { codec } = this.settings;
    const now = performance.now();
    for (let i = 0; i < batch.length; i++) {
      const delivery = batch[i] as Delivery;
      let body: T | Promise<T>;
      try {
        body = codec.decode(delivery.payload, delivery.headers ?? NO_HEADERS, delivery);
      } catch (error) {
        this.poison(session, delivery, error);
        continue;
      }
      // An async codec (a schema with async checks): the rest of the batch waits, in order.
      if (body instanceof Promise) return this.emitAsync(session, batch, i, body, now);
      this.emit(session, delivery, body, now);
    }
    return CONTINUE;
  }

  private emit(session: Session, delivery: Delivery, body: T, now: number): void {
    const message = new MessageImpl<T>(this, session, delivery, body, now);
    this.link(message);
    this.subscriber.next(message);
  }

  /** The slow path of `receiveAndEmit`, from the first delivery whose decode returned a Promise. */
  private async emitAsync(
    session: Session,
    batch: readonly Delivery[],
    from: number,
    first: Promise<T>,
    now: number,
  ): Promise<typeof CONTINUE> {
    const { codec } = this.settings;
    for (let i = from; i < batch.length; i++) {
      const delivery = batch[i] as Delivery;
      let body: T;
      try {
        body = await (i === from ? first : codec.decode(delivery.payload, delivery.headers ?? NO_HEADERS, delivery));
      } catch (error) {
        this.poison(session, delivery, error);
        continue;
      }
      this.emit(session, delivery, body, now);
    }
    return CONTINUE;
  }

  private lost(error: unknown): void {
    if (this.lostError === undefined) this.lostError = error ?? new ConnectionLostError('connection lost');
    this.interrupt();
  }

  private poison(session: Session, delivery: Delivery, error: unknown): void {
    this.metrics.poison++;
    this.metrics.deadLettered++;
    const reason = error instanceof ValidationError ? 'invalid' : 'decode';
    // Without its cause: what a codec threw may quote the body.
    this.settings.logger.warn({ id: delivery.id, reason, err: withoutCause(error) }, 'poison message dead-lettered');
    const written = session.deadLetter(delivery, { reason, error: errorInfo(error), at: Date.now() });
    void this.writes.track(written);
    reportPoison(this.settings.connector.name, delivery, reason, error, written);
  }

  /** Gives one message back unhandled (its handler ended early on a stop): no attempt counted. */
  release(message: MessageImpl<unknown>): Promise<void> {
    if (!this.begin(message, 'released')) return RESOLVED;
    return this.writes.track(this.giveBack(message.session, [message.delivery], false));
  }

  private link(message: MessageImpl<unknown>): void {
    message.next = this.head;
    if (this.head) this.head.prev = message;
    this.head = message;
    this.metrics.received++;
    const inFlight = ++this.inFlight;
    this.metrics.inFlight++;
    if (inFlight > this.metrics.peakInFlight) this.metrics.peakInFlight = inFlight;
  }

  private unlink(message: MessageImpl<unknown>): void {
    const { prev, next } = message;
    if (prev) prev.next = next;
    else this.head = next;
    if (next) next.prev = prev;
    message.prev = message.next = undefined;
    this.inFlight--;
    this.metrics.inFlight--;
    this.creditWaiter?.();
  }

  settle(message: MessageImpl<unknown>, settlement: 'acked' | 'requeued'): Promise<void> {
    if (!this.begin(message, settlement)) return RESOLVED;
    const { session, delivery } = message;
    let result: void | Promise<void>;
    try {
      result = settlement === 'acked' ? session.ack(delivery) : session.requeue(delivery);
    } catch (error) {
      result = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return result === undefined ? RESOLVED : this.writes.track(result);
  }

  /** Marks the message settled and returns its credit; false if it was settled already. */
  private begin(message: MessageImpl<unknown>, settlement: Settlement): boolean {
    if (message.settlement !== undefined) return false;
    message.settlement = settlement;
    this.unlink(message);
    this.count(settlement);
    return true;
  }

  nack(message: MessageImpl<unknown>, options: NackOptions | undefined): Promise<void> {
    if (options?.requeue === false) return this.deadLetter(message, 'rejected', undefined);
    const delayMs = options?.delayMs ?? 0;
    if (delayMs > 0) return this.resend(message, { delayMs });
    return this.settle(message, 'requeued');
  }

  resend(message: MessageImpl<unknown>, options: ResendOptions | undefined): Promise<void> {
    const request: { attempt: number; delayMs: number; error?: { name: string; message: string } } = {
      attempt: message.attempt + 1,
      delayMs: Math.max(0, options?.delayMs ?? 0),
    };
    if (options?.error !== undefined) request.error = errorInfo(options.error);
    if (!this.begin(message, 'resent')) return RESOLVED;
    return this.writes.track(call(() => message.session.resend(message.delivery, request)));
  }

  deadLetter(message: MessageImpl<unknown>, reason: string | Error, error: unknown): Promise<void> {
    const cause = reason instanceof Error ? reason : error;
    const request: { reason: string; at: number; error?: { name: string; message: string } } = {
      reason: typeof reason === 'string' ? reason : 'error',
      at: Date.now(),
    };
    if (cause !== undefined) request.error = errorInfo(cause);
    if (!this.begin(message, 'dead-lettered')) return RESOLVED;
    return this.writes.track(call(() => message.session.deadLetter(message.delivery, request)));
  }

  private count(settlement: Settlement): void {
    const m = this.metrics;
    if (settlement === 'acked') m.acked++;
    else if (settlement === 'requeued') m.requeued++;
    else if (settlement === 'resent') m.resent++;
    else if (settlement === 'dead-lettered') m.deadLettered++;
    else m.released++;
  }

  private giveBack(session: Session, deliveries: readonly Delivery[], count = true): Promise<void> {
    if (count) this.metrics.released += deliveries.length;
    if (session.release) return session.release(deliveries);
    return Promise.all(deliveries.map(async (d) => session.requeue(d))).then(() => undefined);
  }

  private interrupt(): void {
    const wake = this.interruptWait;
    this.interruptWait = undefined;
    wake?.();
    this.creditWaiter?.();
  }

  /**
   * `promise`, or INTERRUPTED if stop or a loss comes first. One callback slot rather than a
   * race against a long-lived promise, which would keep a reaction per receive for ever.
   */
  private interruptible<V>(promise: Promise<V>): Promise<V | typeof INTERRUPTED> {
    if (this.stopping || this.lostError !== undefined) return Promise.resolve(INTERRUPTED);
    return new Promise<V | typeof INTERRUPTED>((resolve, reject) => {
      this.interruptWait = () => resolve(INTERRUPTED);
      promise.then(
        (value) => {
          this.interruptWait = undefined;
          resolve(value);
        },
        (error: unknown) => {
          this.interruptWait = undefined;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await this.interruptible(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))));
    clearTimeout(timer);
  }

  private async finish(failure: unknown): Promise<void> {
    const { logger } = this.settings;
    const draining = this.stopping === 'drain' && failure === undefined && this.inFlight > 0;
    if (draining) {
      this.status('draining');
      await this.drained();
    }
    // Whatever still runs on a message of this run is told to stop: it is about to be released.
    this.abortHandlers();
    // Release what did not settle in time, grouped by the session that delivered it.
    const bySession = new Map<Session, Delivery[]>();
    let released = 0;
    for (let m = this.head; m; m = this.head) {
      m.settlement = 'released';
      this.unlink(m);
      released++;
      const list = bySession.get(m.session) ?? [];
      list.push(m.delivery);
      bySession.set(m.session, list);
    }
    for (const [session, deliveries] of bySession) void this.writes.track(this.giveBack(session, deliveries));
    if (draining || this.stopping === 'drain') logger.info({ released, drainTimedOut: released > 0 }, 'drain ended');
    await this.closeWithin(async () => {
      await this.writes.settled();
      // Closing ends any receive still pending; what it brings late is given back as it comes.
      await Promise.all([...Array.from(this.sessions, (s) => this.closeQuietly(s)), ...this.lateReceives]);
    });
    this.sessions.clear();
    if (failure !== undefined) logger.error({ err: failure }, 'the source stopped for good');
    else logger.info({}, 'closed');
    this.status('closed', failure);
    if (failure !== undefined) this.subscriber.error(failure);
    else this.subscriber.complete();
  }

  /** Runs `close`, but no longer than `closeTimeoutMs`: a stop is bounded even when the broker hangs. */
  private async closeWithin(close: () => Promise<void>): Promise<void> {
    const { closeTimeoutMs } = this.settings;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (closeTimeoutMs <= 0x7fffffff) timer = setTimeout(() => resolve('timeout'), closeTimeoutMs);
    });
    const result = await Promise.race([close(), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      const error = new CloseError(`closing took longer than closeTimeoutMs (${closeTimeoutMs} ms); gave up waiting`);
      this.settings.logger.warn({ err: error }, 'close timed out');
      this.settings.onError(error);
    }
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      // setTimeout clamps anything above 2^31-1 ms (Infinity included) to 1 ms.
      const { drainTimeoutMs } = this.settings;
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        if (this.inFlight === 0 || this.stopping === 'now') done();
        else this.creditWaiter = check;
      };
      const done = (): void => {
        clearTimeout(timer);
        if (this.creditWaiter === check) this.creditWaiter = undefined;
        resolve();
      };
      if (drainTimeoutMs <= 0x7fffffff) timer = setTimeout(done, drainTimeoutMs);
      check();
    });
  }

  private async closeQuietly(session: Session): Promise<void> {
    try {
      await session.close();
    } catch (error) {
      const failure = new CloseError('closing a session failed', error);
      this.settings.logger.warn({ err: failure }, 'closing a session failed');
      this.settings.onError(failure);
    }
  }
}

/** The same error (same class, name, code, message) without its `cause`. */
function withoutCause(error: unknown): unknown {
  if (!(error instanceof Error) || error.cause === undefined) return error;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as Error, error);
  Object.defineProperty(copy, 'message', { value: error.message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', {
    value: `${error.name}: ${error.message}`,
    writable: true,
    configurable: true,
  });
  return copy;
}
