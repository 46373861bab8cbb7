import type { Subscriber } from 'rxjs';
import type { Backoff } from '../backoff.js';
import type { Codec } from '../codec.js';
import type { Connector, Session } from '../connector.js';
import {
  CloseError,
  ConnectionGaveUpError,
  ConnectionLostError,
  isRetryable,
  ShutdownError,
  type RxqError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { Message } from '../message.js';
import type { SourceMetrics } from '../metrics.js';
import type { SourceStatus, StatusEvent } from '../status.js';
import { Intake, type IntakeHost } from './intake.js';
import { Ledger } from './ledger.js';
import { SessionLink } from './sessionLink.js';
import { Settler, type SettlementHost } from './settlement.js';
import type { StopListener } from './sourceHooks.js';
import { within } from '../kit/wake.js';
import { INTERRUPTED, Interruptible, type Interrupted } from './wait.js';

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

/**
 * One subscription to a source, its lifecycle: opens sessions, reconnects with backoff after a
 * loss, stops (draining or at once) and closes within bounds. The intake ({@link Intake}), the
 * in-flight ledger ({@link Ledger}) and settlement ({@link Settler}) are its parts.
 */
export class Run<T> implements IntakeHost, SettlementHost {
  readonly metrics: SourceMetrics;
  readonly logger: Logger;
  readonly onError: (error: RxqError) => void;
  /** The connector's name, as instrumentation reports it. */
  readonly sourceName: string;
  stopping: 'drain' | 'now' | undefined;
  lostError: unknown;
  /** Ends the wait in progress (an open, a receive or a backoff sleep) when stop or a loss comes. */
  readonly waits = new Interruptible(() => this.stopping !== undefined || this.lostError !== undefined);
  private readonly ledger: Ledger;
  private readonly settler: Settler;
  private readonly intake: Intake<T>;
  /** Give-backs of receives (and closes of opens) that resolved after the stop or loss that abandoned them. */
  private readonly lateWork = new Set<Promise<void>>();
  private sessions = new Set<Session>();
  /** Reconnect tries since the last receive that worked. */
  private retries = 0;
  /** Handlers whose signal listens for the stop: told when a stop begins or the run ends. */
  private readonly stopListeners = new Set<StopListener>();
  /** Set when a stop began or the run ended: the reason handlers' signals abort with. */
  private stopReason: ShutdownError | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly settings: RunSettings<T>,
    private readonly subscriber: Subscriber<Message<T>>,
  ) {
    this.metrics = settings.metrics;
    this.logger = settings.logger;
    this.onError = settings.onError;
    this.sourceName = settings.connector.name;
    this.ledger = new Ledger(this.metrics);
    this.settler = new Settler(this, this.ledger);
    this.intake = new Intake(this, settings.codec, settings.maxInFlight, this.ledger, this.settler, subscriber);
    // A bug in a connector (a throw where a rejection was due) must end the stream loudly, never
    // leave it hanging or become an unhandled rejection.
    this.done = this.main().catch((error: unknown) => {
      this.logger.error({ err: error }, 'the source failed');
      this.status('closed', error);
      this.subscriber.error(error);
    });
  }

  /** Stop the intake; with `drain`, let in-flight messages settle first. Resolves when closed. */
  stop(mode: 'drain' | 'now'): Promise<void> {
    if (this.stopping === undefined && mode === 'drain')
      this.logger.info({ inFlight: this.ledger.inFlight }, 'stopping: draining in-flight messages');
    if (this.stopping !== 'now') this.stopping = mode;
    this.abortHandlers();
    for (const session of this.sessions) session.stopIntake?.();
    this.interrupt();
    return this.done;
  }

  /** The source side of a handler's `context.signal`: told when a stop begins. */
  watchStop(listener: StopListener): unknown {
    if (this.stopReason) return this.stopReason;
    this.stopListeners.add(listener);
    return undefined;
  }

  unwatchStop(listener: StopListener): void {
    this.stopListeners.delete(listener);
  }

  late(work: Promise<void>): void {
    const tracked: Promise<void> = work.catch(() => undefined).finally(() => this.lateWork.delete(tracked));
    this.lateWork.add(tracked);
  }

  received(): void {
    this.retries = 0;
  }

  private abortHandlers(): void {
    if (this.stopReason) return;
    const reason = (this.stopReason = new ShutdownError(this.settings.connector.name));
    const listeners = [...this.stopListeners];
    this.stopListeners.clear();
    for (const listener of listeners) listener.sourceStopped(reason);
  }

  private status(status: SourceStatus, error?: unknown, retry?: number): void {
    const event: { status: SourceStatus; at: number; error?: unknown; retry?: number } = { status, at: Date.now() };
    if (error !== undefined) event.error = error;
    if (retry !== undefined) event.retry = retry;
    this.settings.status(event);
  }

  private async main(): Promise<void> {
    let failure: unknown;
    this.status('connecting');
    while (!this.stopping) {
      let opened: { session: Session; link: SessionLink } | undefined;
      try {
        opened = await this.open();
      } catch (error) {
        this.logger.warn({ err: error }, 'could not connect');
        failure = await this.backOff(error);
        if (failure !== undefined) break;
        continue;
      }
      if (opened === undefined) break;
      const { session, link } = opened;
      this.sessions.add(session);
      if (this.stopping) break;
      this.status('connected');
      this.logger.info({}, this.retries > 0 ? 'reconnected' : 'connected');
      const lost = await this.intake.pump(session, link.count);
      if (lost === undefined) break;
      link.end();
      this.logger.warn({ err: lost }, 'connection lost');
      this.lostError = undefined;
      this.sessions.delete(session);
      void this.closeQuietly(session);
      failure = await this.backOff(lost);
      if (failure !== undefined) break;
    }
    await this.finish(failure);
  }

  /**
   * Opens a session; resolves undefined if a stop comes first, rejects with the open's error, or
   * with a loss the session reported while it opened (see {@link SessionLink}).
   */
  private async open(): Promise<{ session: Session; link: SessionLink } | undefined> {
    this.lostError = undefined;
    const link = new SessionLink(this.settings.maxInFlight, this.logger, (e) => this.lost(e));
    const opening = this.settings.connector.open(link.context);
    let session: Session | Interrupted;
    try {
      session = await this.waits.wait(opening);
    } catch (error) {
      link.end();
      throw error;
    }
    if (session === INTERRUPTED) {
      // A stop came first: close the session once it opens, no longer than closeTimeoutMs.
      link.end();
      this.late(opening.then((s) => this.closeQuietly(s)));
      return undefined;
    }
    link.opened();
    const lost = this.lostError;
    if (lost === undefined) return { session, link };
    // Lost while it opened: closed at once, and opened again with backoff.
    void this.closeQuietly(session);
    throw lost instanceof Error ? lost : new ConnectionLostError('connection lost while opening', lost);
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
    this.logger.warn({ retry: this.retries, delayMs, err: error }, 'reconnecting');
    this.status('reconnecting', error, this.retries);
    await this.waits.sleep(delayMs);
    return undefined;
  }

  private lost(error: unknown): void {
    if (this.lostError === undefined) this.lostError = error ?? new ConnectionLostError('connection lost');
    this.interrupt();
  }

  private interrupt(): void {
    this.waits.interrupt();
    this.ledger.wake();
  }

  private async finish(failure: unknown): Promise<void> {
    const { logger } = this;
    const draining = this.stopping === 'drain' && failure === undefined && this.ledger.inFlight > 0;
    if (draining) {
      this.status('draining');
      await this.ledger.drained(this.settings.drainTimeoutMs, () => this.stopping === 'now');
    }
    // Whatever still runs on a message of this run is told to stop: it is about to be released.
    this.abortHandlers();
    // Release what did not settle in time.
    const released = this.settler.releaseAll();
    if (draining || this.stopping === 'drain') logger.info({ released, drainTimedOut: released > 0 }, 'drain ended');
    await this.closeWithin(async () => {
      await this.settler.writes.settled();
      // Closing ends any receive still pending; what it brings late is given back as it comes.
      await Promise.all([...Array.from(this.sessions, (s) => this.closeQuietly(s)), ...this.lateWork]);
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
    if (await within(close(), closeTimeoutMs)) return;
    const error = new CloseError(`closing took longer than closeTimeoutMs (${closeTimeoutMs} ms); gave up waiting`);
    this.logger.warn({ err: error }, 'close timed out');
    this.onError(error);
  }

  private async closeQuietly(session: Session): Promise<void> {
    try {
      await session.close();
    } catch (error) {
      const failure = new CloseError('closing a session failed', error);
      this.logger.warn({ err: failure }, 'closing a session failed');
      this.onError(failure);
    }
  }
}
