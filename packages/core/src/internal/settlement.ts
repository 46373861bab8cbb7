import type { Delivery, Session } from '../connector.js';
import { errorInfo, ValidationError, type RxqError } from '../errors.js';
import { reportPoison } from '../instrumentation.js';
import type { Logger } from '../logger.js';
import type { Message, NackOptions, ResendOptions } from '../message.js';
import type { SourceMetrics } from '../metrics.js';
import type { Ledger } from './ledger.js';
import type { MessageImpl, MessageOwner } from './messageImpl.js';
import { PendingWrites } from './pendingWrites.js';
import type { StopListener } from './sourceHooks.js';

const RESOLVED: Promise<void> = Promise.resolve();

/** Calls a connector method, turning a synchronous throw into a rejection. */
function call(op: () => Promise<void>): Promise<void> {
  try {
    return op();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** What settlement needs from the run that owns it. */
export interface SettlementHost {
  readonly metrics: SourceMetrics;
  readonly logger: Logger;
  readonly onError: (error: RxqError) => void;
  /** The connector's name, as instrumentation reports it. */
  readonly sourceName: string;
  /** See {@link SourceHooks.watchStop}. */
  watchStop(listener: StopListener): unknown;
  unwatchStop(listener: StopListener): void;
}

/**
 * Settlement of one run: turns a message's `ack`, `nack`, `resend`, `deadLetter` or release into
 * the session's call (exactly one per delivery, through the {@link Ledger}), and tracks the writes
 * so that close waits for them. It is the owner every emitted message settles through.
 */
export class Settler implements MessageOwner {
  readonly metrics: SourceMetrics;
  readonly writes: PendingWrites;

  constructor(
    private readonly host: SettlementHost,
    private readonly ledger: Ledger,
  ) {
    this.metrics = host.metrics;
    this.writes = new PendingWrites((error) => {
      this.metrics.settleErrors++;
      host.logger.warn({ err: error }, 'a settlement failed; the broker will redeliver the message');
      host.onError(error);
    });
  }

  watchStop(listener: StopListener): unknown {
    return this.host.watchStop(listener);
  }

  unwatchStop(listener: StopListener): void {
    this.host.unwatchStop(listener);
  }

  handled(durationMs: number, count: number): void {
    this.metrics.recordHandler(durationMs, count);
  }

  releaseUnhandled(message: Message<unknown>): void {
    // Only this source's messages carry these hooks.
    void this.release(message as MessageImpl<unknown>);
  }

  settle(message: MessageImpl<unknown>, settlement: 'acked' | 'requeued'): Promise<void> {
    if (!this.ledger.begin(message, settlement)) return RESOLVED;
    const { delivery } = message;
    const { session } = message.origin;
    let result: void | Promise<void>;
    try {
      result = settlement === 'acked' ? session.ack(delivery) : session.requeue(delivery);
    } catch (error) {
      result = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return result === undefined ? RESOLVED : this.writes.track(result);
  }

  nack(message: MessageImpl<unknown>, options: NackOptions | undefined): Promise<void> {
    if (options?.requeue === false) return this.deadLetter(message, 'rejected', options.error);
    const delayMs = options?.delayMs ?? 0;
    if (delayMs > 0) return this.resend(message, { delayMs, error: options?.error });
    return this.settle(message, 'requeued');
  }

  resend(message: MessageImpl<unknown>, options: ResendOptions | undefined): Promise<void> {
    const request: { attempt: number; delayMs: number; error?: { name: string; message: string } } = {
      attempt: message.attempt + 1,
      delayMs: Math.max(0, options?.delayMs ?? 0),
    };
    if (options?.error !== undefined) request.error = errorInfo(options.error);
    if (!this.ledger.begin(message, 'resent')) return RESOLVED;
    return this.writes.track(call(() => message.session.resend(message.delivery, request)));
  }

  deadLetter(message: MessageImpl<unknown>, reason: string | Error, error: unknown): Promise<void> {
    const cause = reason instanceof Error ? reason : error;
    const request: { reason: string; at: number; error?: { name: string; message: string } } = {
      reason: typeof reason === 'string' ? reason : 'error',
      at: Date.now(),
    };
    if (cause !== undefined) request.error = errorInfo(cause);
    if (!this.ledger.begin(message, 'dead-lettered')) return RESOLVED;
    return this.writes.track(call(() => message.session.deadLetter(message.delivery, request)));
  }

  /** Gives one message back unhandled (its handler ended early on a stop): no attempt counted. */
  release(message: MessageImpl<unknown>): Promise<void> {
    if (!this.ledger.begin(message, 'released')) return RESOLVED;
    return this.writes.track(this.giveBack(message.session, [message.delivery], false));
  }

  /** A delivery whose body could not be decoded: dead-lettered, never emitted. */
  poison(session: Session, delivery: Delivery, error: unknown): void {
    this.metrics.poison++;
    this.metrics.deadLettered++;
    const reason = error instanceof ValidationError ? 'invalid' : 'decode';
    // Without its cause: what a codec threw may quote the body.
    this.host.logger.warn({ id: delivery.id, reason, err: withoutCause(error) }, 'poison message dead-lettered');
    const written = session.deadLetter(delivery, { reason, error: errorInfo(error), at: Date.now() });
    void this.writes.track(written);
    reportPoison(this.host.sourceName, delivery, reason, error, written);
  }

  /** Releases every unsettled message, grouped by the session that delivered it; returns how many. */
  releaseAll(): number {
    const { bySession, released } = this.ledger.releaseAll();
    for (const [session, deliveries] of bySession) void this.writes.track(this.giveBack(session, deliveries));
    return released;
  }

  /** Gives deliveries back unhandled (`release`, else `requeue` each). */
  giveBack(session: Session, deliveries: readonly Delivery[], count = true): Promise<void> {
    if (count) this.metrics.released += deliveries.length;
    if (session.release) return session.release(deliveries);
    return Promise.all(deliveries.map(async (d) => session.requeue(d))).then(() => undefined);
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
