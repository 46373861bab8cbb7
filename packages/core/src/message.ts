/** How a message was settled. */
export type Settlement = 'acked' | 'requeued' | 'resent' | 'dead-lettered' | 'released';

/** Options of {@link Message.nack}. */
export interface NackOptions {
  /**
   * Put the message back for another attempt. `false` dead-letters it with reason `rejected`, so
   * that nothing is dropped silently.
   * @default true
   */
  readonly requeue?: boolean;
  /** With `requeue`, delay before it is delivered again (a resend with `attempt + 1`). @default 0 */
  readonly delayMs?: number;
  /**
   * The error that caused the nack. With `requeue: false` its name and message go into the
   * dead-letter record, as `deadLetter(reason, error)` puts them; with a `delayMs`, into the
   * copy's headers, as `resend({ error })` does. A requeue at once (no delay) carries nothing.
   */
  readonly error?: unknown;
}

/** Options of {@link Message.resend}. */
export interface ResendOptions {
  /** Delay before the copy is delivered. @default 0 */
  readonly delayMs?: number;
  /** The error that caused the resend; its name and message go into a header. */
  readonly error?: unknown;
}

/**
 * A message from a queue, decoded, that must be settled exactly once.
 *
 * Settling is `ack()`, `nack()`, `resend()` or `deadLetter()`; the first call wins and every later
 * call does nothing. Each returns a Promise that resolves when the connector has done the work
 * (batched broker writes may take a moment). It never rejects: a settlement the broker did not
 * take is counted in the source's metrics and the broker redelivers the message.
 *
 * `T` is the body type (from the codec), `X` the connector's transport view.
 *
 * @example
 * source.subscribe(async (msg) => { await save(msg.body); await msg.ack(); });
 */
export interface Message<T = unknown, X = unknown> {
  readonly id: string;
  readonly body: T;
  /** The payload before decoding: a string or bytes (memory: the pushed value). */
  readonly raw: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** 1 on first delivery; one more per resend or redelivery the broker reports. */
  readonly attempt: number;
  /** The queue, list, stream or topic it came from. */
  readonly source: string;
  readonly key?: string | undefined;
  readonly partition?: number | undefined;
  readonly offset?: string | undefined;
  /** Broker timestamp, ms since the epoch, where the broker has one. */
  readonly timestamp?: number | undefined;
  /**
   * What the broker delivered beside the body, as the connector's own typed, lossless view (its
   * `Delivery.transport`: AMQP properties, Kafka's raw key and headers, Redis stream fields;
   * `undefined` for memory). Typed from the connector when `fromQueue` infers its types.
   */
  readonly transport: X;
  /** When the source emitted it, `performance.now()` clock. */
  readonly receivedAt: number;
  /** How it was settled, or `undefined` while it is in flight. */
  readonly settlement: Settlement | undefined;
  /** Done: remove it from the queue. */
  ack(): Promise<void>;
  /** Not done: back to the queue (optionally after a delay), or dead-letter with `requeue: false`. */
  nack(options?: NackOptions): Promise<void>;
  /** Publish a copy with `attempt + 1` after `delayMs`, then settle this one. */
  resend(options?: ResendOptions): Promise<void>;
  /** Move to the dead-letter destination with the reason (a string or the error). */
  deadLetter(reason: string | Error, error?: unknown): Promise<void>;
}

/** Whether `value` is a {@link Message} emitted by an rxq source. */
export function isMessage(value: unknown): value is Message {
  return (
    typeof value === 'object' && value !== null && typeof (value as Message).ack === 'function' && 'attempt' in value
  );
}
