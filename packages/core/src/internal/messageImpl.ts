import type { Delivery, Session } from '../connector.js';
import type { InFlightCount } from '../kit/inFlightCount.js';
import type { Message, NackOptions, ResendOptions, Settlement } from '../message.js';
import type { SourceMetrics } from '../metrics.js';
import { SOURCE_HOOKS, type SourceHooks } from './sourceHooks.js';

/** What a message needs from the subscription that emitted it. */
export interface MessageOwner extends SourceHooks {
  readonly metrics: SourceMetrics;
  /** Settles with `ack` (or gives back with `release`) unless already settled. */
  settle(message: MessageImpl<unknown>, settlement: 'acked' | 'requeued'): Promise<void>;
  nack(message: MessageImpl<unknown>, options: NackOptions | undefined): Promise<void>;
  resend(message: MessageImpl<unknown>, options: ResendOptions | undefined): Promise<void>;
  deadLetter(message: MessageImpl<unknown>, reason: string | Error, error: unknown): Promise<void>;
  /** Gives the message back unhandled, no attempt counted (its handler ended early on a stop). */
  release(message: MessageImpl<unknown>): Promise<void>;
}

/**
 * Where a batch of messages came from and when: one per receive, shared by the messages it
 * brought, so that a message holds one reference instead of four (and no number of its own).
 */
export class Origin {
  constructor(
    readonly owner: MessageOwner,
    readonly session: Session,
    /** The in-flight count of the session that delivered it (its `context.inFlight`). */
    readonly count: InFlightCount,
    /** When the receive's messages were emitted, `performance.now()` clock. */
    readonly receivedAt: number,
  ) {}
}

/** The one implementation of {@link Message}; also a node of its owner's unsettled list. */
export class MessageImpl<T> implements Message<T, unknown> {
  settlement: Settlement | undefined = undefined;
  prev: MessageImpl<unknown> | undefined = undefined;
  next: MessageImpl<unknown> | undefined = undefined;

  constructor(
    readonly origin: Origin,
    readonly delivery: Delivery,
    readonly body: T,
  ) {}

  get owner(): MessageOwner {
    return this.origin.owner;
  }
  get session(): Session {
    return this.origin.session;
  }
  get receivedAt(): number {
    return this.origin.receivedAt;
  }
  get id(): string {
    return this.delivery.id;
  }
  get raw(): unknown {
    return this.delivery.payload;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.delivery.headers ?? EMPTY;
  }
  get attempt(): number {
    return this.delivery.attempt;
  }
  get source(): string {
    return this.delivery.source;
  }
  get key(): string | undefined {
    return this.delivery.key;
  }
  get partition(): number | undefined {
    return this.delivery.partition;
  }
  get offset(): string | undefined {
    return this.delivery.offset;
  }
  get timestamp(): number | undefined {
    return this.delivery.timestamp;
  }
  get transport(): unknown {
    return this.delivery.transport;
  }
  get [SOURCE_HOOKS](): SourceHooks {
    return this.origin.owner;
  }

  ack(): Promise<void> {
    return this.origin.owner.settle(this, 'acked');
  }
  nack(options?: NackOptions): Promise<void> {
    return this.origin.owner.nack(this, options);
  }
  resend(options?: ResendOptions): Promise<void> {
    return this.origin.owner.resend(this, options);
  }
  deadLetter(reason: string | Error, error?: unknown): Promise<void> {
    return this.origin.owner.deadLetter(this, reason, error);
  }
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});
