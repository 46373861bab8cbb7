import type { Codec } from './codec.js';
import type { Logger } from './logger.js';

/**
 * One message as a connector hands it to `fromQueue`, before decoding.
 *
 * Connectors may extend it with what their broker needs to settle the message (a delivery tag, a
 * stream id, an offset); `fromQueue` passes the same object back to the session's settle methods.
 */
export interface Delivery {
  /** Unique within the source: a stream id, a delivery tag, `partition:offset`, a generated id. */
  readonly id: string;
  /** The payload as the broker gave it: a string or bytes (memory: the pushed value). */
  readonly payload: unknown;
  /** Headers, including those rxq writes (`x-rxq-attempt`, …). @default {} */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** 1 on first delivery, one more per resend or broker-reported redelivery. */
  readonly attempt: number;
  /** Queue, list, stream or topic the message came from. */
  readonly source: string;
  readonly key?: string | undefined;
  readonly partition?: number | undefined;
  readonly offset?: string | undefined;
  /** Broker timestamp, milliseconds since the epoch. */
  readonly timestamp?: number | undefined;
  /**
   * What the broker delivered beside the body, as the connector's own typed view (AMQP
   * properties, Kafka's raw key and headers, Redis stream fields). Lossless: copies are built from
   * it, never from `headers`.
   */
  readonly transport?: unknown;
}

/** What `fromQueue` asks of a session when a message is resent. */
export interface ResendRequest {
  /** The attempt number the copy carries (the delivery's attempt + 1). */
  readonly attempt: number;
  /** Delay before the copy becomes visible. 0 means at once. */
  readonly delayMs: number;
  /** The error that caused the resend, for a header. */
  readonly error?: { readonly name: string; readonly message: string };
}

/** What `fromQueue` asks of a session when a message is dead-lettered. */
export interface DeadLetterRequest {
  /** Why: `max-attempts`, `decode`, `rejected`, `non-retryable` or a user's reason. */
  readonly reason: string;
  readonly error?: { readonly name: string; readonly message: string };
  /** When it was given up, milliseconds since the epoch. */
  readonly at: number;
}

/**
 * One live connection of a connector, opened by `fromQueue` per subscription (and again on each
 * reconnect). `fromQueue` guarantees it calls exactly one settle method (`ack`, `requeue`,
 * `resend`, `deadLetter` or `release`) per delivery, and never asks for more than the credit.
 *
 * A settle call for a delivery whose connection has died must not throw: the broker redelivers
 * what it never saw settled.
 */
export interface Session<D extends Delivery = Delivery> {
  /**
   * Up to `max` deliveries. Resolves with at least one, or with none after a poll interval so that
   * the caller can look around. Rejects with a retryable error when the connection is lost and a
   * non-retryable one when it cannot go on (the stream then errors).
   */
  receive(max: number): Promise<readonly D[]>;
  /** Settle as done. May batch, and resolve when the broker has it. */
  ack(delivery: D): void | Promise<void>;
  /** Put back for redelivery at once. */
  requeue(delivery: D): void | Promise<void>;
  /** Publish a copy with `attempt` after `delayMs`, then settle the original. */
  resend(delivery: D, request: ResendRequest): Promise<void>;
  /** Move to the dead-letter destination with the reason, then settle the original. */
  deadLetter(delivery: D, request: DeadLetterRequest): Promise<void>;
  /**
   * Give back deliveries that were never handled (unsubscribe, drain timeout, a receive that
   * resolved after stop). Unlike `requeue`, it does not count as an attempt.
   * @default each is requeued
   */
  release?(deliveries: readonly D[]): Promise<void>;
  /**
   * Stop the intake when a stop begins, before the drain: fetch no more (a push broker cancels its
   * consumer) and resolve a pending `receive` with what it has. Settling in-flight deliveries must
   * still work until `close`. Without it, what a pending `receive` brings after the stop is
   * released.
   * @default nothing
   */
  stopIntake?(): void;
  /** Close the connection: stop any pending `receive`, flush pending settlements. */
  close(): Promise<void>;
}

/** Handed to {@link Connector.open}. */
export interface OpenContext {
  /** The source's bound on unsettled messages; prefetch or pause by it. */
  readonly maxInFlight: number;
  /**
   * Report that the connection is gone, whenever the session notices it (a close event, a broker
   * cancel, a failed fetch). Safe to call at any time, from any callback, as often as it happens:
   * `fromQueue` keeps one loss per session. While `open` is pending a loss is held: if the open
   * then rejects, its own error decides (a non-retryable one ends the stream); if it resolves, the
   * session is closed at once and opened again. Once open, the first loss wins, over a `receive`
   * that rejects after it too: `fromQueue` closes the session and reconnects with backoff. After
   * the session was closed or replaced, a loss is ignored.
   */
  lost(error: unknown): void;
  /** The source's logger, bound to the source's name. Route the client library's logs here. */
  readonly logger: Logger;
  /**
   * This session's messages in flight: handed out by `receive`, emitted and not yet settled.
   * Deliveries `fromQueue` settles without emitting (poison bodies, give-backs of a receive that
   * came too late) are never counted. A settle call comes after the count dropped.
   */
  readonly inFlight: number;
  /**
   * Resolves once none of this session's messages is in flight (at once if none is): a session
   * whose settlements must still go out after it was replaced (a lost connection) waits for this
   * in `close`. A stop releases what did not settle before it closes the session.
   */
  settled(): Promise<void>;
}

/**
 * What a broker package implements so that `fromQueue` can consume from it. `T` is the body type
 * of its default codec, so `fromQueue(connector)` yields `Message<T>` without a cast; a connector
 * factory that takes a `codec?: Codec<T>` option returns `Connector<ItsDelivery, T>`. Keep it to what the
 * broker makes different: credit, decoding, settlement bookkeeping, reconnect and shutdown live in
 * `fromQueue`.
 */
export interface Connector<D extends Delivery = Delivery, T = unknown> {
  /** A label for logs, errors and metrics: the queue or topic name. */
  readonly name: string;
  /**
   * The broker, as OpenTelemetry's `messaging.system` names it (`kafka`, `rabbitmq`, `redis`,
   * `nats`, `aws_sqs`, `postgresql`), for instrumentation; the source shows it as `system`.
   * @default none
   */
  readonly system?: string;
  /** The codec a source uses when its options name none. @default json */
  readonly defaultCodec?: Codec<T>;
  /** Open a connection. Rejects with a retryable error to be tried again with backoff. */
  open(context: OpenContext): Promise<Session<D>>;
  /**
   * Type-only, never set: lets `fromQueue` tell a connector whose codec says `unknown` (JSON) from
   * one of strings, so that `fromQueue<Order>(textConnector)` does not compile while
   * `fromQueue<Order>(jsonConnector)` does (see {@link UntypedConnector}). A method, so that
   * `Connector` (of `unknown`) still accepts every connector.
   */
  '~body'?(body: T): T;
}

/**
 * A connector whose default codec's body type is exactly `unknown` (JSON, identity): the one kind
 * whose body type a type argument of `fromQueue` may name.
 */
export interface UntypedConnector<D extends Delivery = Delivery> extends Connector<D, unknown> {
  readonly '~body'?: (body: unknown) => unknown;
}
