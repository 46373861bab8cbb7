import type { Codec, Connector, OpenContext, Session } from '@rxq/core';
import type { NatsDelivery } from './delivery.js';
import { settingsOf, type NatsOptions } from './options.js';
import { NatsSession } from './session.js';

/** The NATS JetStream connector, with the names it uses. */
export interface NatsConnector<T = unknown> extends Connector<NatsDelivery, T> {
  readonly name: string;
  readonly defaultCodec: Codec<T>;
  /** The stream consumed. */
  readonly stream: string;
  /** The durable consumer, or `undefined` with `ephemeral: true`. */
  readonly consumer: string | undefined;
  /** Where dead letters are published, or `false`. */
  readonly deadLetterSubject: string | false;
  /** The stream created for dead letters when none captures the subject, or `false`. */
  readonly deadLetterStream: string | false;
  open(context: OpenContext): Promise<Session<NatsDelivery>>;
}

/**
 * A source over a NATS JetStream stream, read through a pull consumer fetched by credit: the
 * messages rxq holds plus those buffered or requested never exceed the source's `maxInFlight`.
 *
 * Settlement uses the message's reply subject: ack is `+ACK`, a requeue `-NAK`, a resend `-NAK`
 * with the delay (the server redelivers the same message; `attempt` is its delivery count), a dead
 * letter is published with its reason to `deadLetterSubject` (publish ack awaited) and the
 * original terminated (`+TERM`). A settlement resolves once the server has it (one `PING` per
 * batch). While a message is unsettled its ack wait is extended (`+WPI`) every half ack wait.
 *
 * Each `open` (per subscription and per reconnect) opens its own connection without the client's
 * reconnect, checks the stream and finds or creates the durable consumer (or creates an
 * ephemeral one, starting at `deliver`); a closed connection or a failed pull is a retryable
 * `ConnectionLostError`, a missing stream a `NotFoundError`.
 *
 * @example
 * fromQueue(nats('ORDERS', { connection: 'nats://localhost:4222' }), { maxInFlight: 100 })
 *   .pipe(handle(ship, { concurrency: 16 }), retryWithResend({ maxAttempts: 5 }), ack())
 *   .subscribe();
 */
export function nats<T = unknown>(stream: string, options: NatsOptions<T> = {}): NatsConnector<T> {
  const s = settingsOf(stream, options);
  return {
    name: s.stream,
    system: 'nats',
    defaultCodec: s.codec as Codec<T>,
    stream: s.stream,
    consumer: s.ephemeral ? undefined : s.consumer,
    deadLetterSubject: s.deadLetterSubject,
    deadLetterStream: s.deadLetterStream,
    open: (context) => NatsSession.open(s, context),
  };
}
