import type { Codec, Connector, OpenContext, Session } from '@rxq/core';
import type { AmqpDelivery } from './delivery.js';
import { settingsOf, type AmqpOptions, type AmqpQueueType } from './options.js';
import { BrokerCursor } from './connection.js';
import { AmqpSession } from './session.js';
import { delayBucket } from './topology.js';

/** The AMQP connector, with the names of the queues it uses; `T` is its codec's body type. */
export interface AmqpConnector<T = unknown> extends Connector<AmqpDelivery, T> {
  readonly name: string;
  readonly defaultCodec: Codec<T>;
  /** The queue consumed. */
  readonly queue: string;
  readonly queueType: AmqpQueueType;
  /** Where dead letters go. */
  readonly deadLetterQueue: string;
  /** The TTL queue a resend with `delayMs` goes through (the delay is rounded up to 2 digits). */
  delayQueue(delayMs: number): string;
  /** The delay queues this connector's sessions declared (each expires a minute after its last use). */
  readonly delayQueues: ReadonlySet<string>;
  open(context: OpenContext): Promise<Session<AmqpDelivery>>;
}

/**
 * A source over a RabbitMQ (AMQP 0-9-1) queue: `basic.consume` with `prefetch` set to the source's
 * `maxInFlight`, so the broker never has more unacked deliveries out than rxq may hold.
 *
 * Settlement happens on the channel that delivered the message: ack is `basic.ack` (contiguous
 * runs go out as one ack with `multiple`), nack with requeue is `basic.nack`, a resend publishes a
 * copy with `x-rxq-attempt` on a confirm channel (through a `<queue>.delay.<ms>` TTL queue when
 * delayed) and acks the original only once the broker confirmed it, and a dead letter is published
 * the same way to `<queue>.dead` with reason and error headers. Copies are built from the
 * delivery's `transport` (every header of the original with its AMQP type), never from the string
 * `headers`. A settlement whose channel has died does nothing: the broker redelivers the message.
 *
 * Each `open` (one per subscription, and again per reconnect) opens its own connection when given
 * a URL, declares the queue (durable, `classic` or `quorum`) unless `assert: false`, and reports a
 * closed connection or channel, or a consumer cancelled by the broker, as a retryable
 * `ConnectionLostError` so `fromQueue` reconnects with backoff; what retrying cannot mend (refused
 * credentials or permissions, a missing queue with `assert: false`, an inequivalent declaration)
 * errors the stream at once (see `amqpError`). Logs go to the source's logger. Closing cancels the consumer,
 * flushes pending acks and closes the channel: what did not settle goes back to the queue.
 *
 * `attempt`: the `x-rxq-attempt` header (1 when absent, as from any plain producer) plus, for a
 * quorum queue, the broker's `x-delivery-count`, or for a classic queue 1 when the message is
 * flagged `redelivered` (so a redelivered message counts at least attempt 2).
 *
 * @example
 * fromQueue(amqp('orders', { connection: 'amqp://guest:guest@localhost' }), { maxInFlight: 100 })
 *   .pipe(handle(ship, { concurrency: 16 }), retryWithResend({ maxAttempts: 5 }), ack())
 *   .subscribe();
 */
export function amqp<T = unknown>(queue: string, options: AmqpOptions<T> = {}): AmqpConnector<T> {
  const s = settingsOf<T>(queue, options);
  let sessions = 0;
  const delayQueues = new Set<string>();
  const cursor = new BrokerCursor();
  return {
    name: s.queue,
    system: 'rabbitmq',
    defaultCodec: s.codec,
    queue: s.queue,
    queueType: s.queueType,
    deadLetterQueue: s.deadLetterQueue,
    delayQueue: (delayMs) => s.delayQueuePrefix + delayBucket(delayMs),
    delayQueues,
    open: (context) => AmqpSession.open(s, context, ++sessions, delayQueues, cursor),
  };
}
