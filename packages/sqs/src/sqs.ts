import type { Codec, Connector, OpenContext, Session } from '@rxq/core';
import type { SqsDelivery } from './delivery.js';
import { queueName, settingsOf, type SqsOptions } from './options.js';
import { SqsSession } from './session.js';

/** The SQS connector, with the names it uses. */
export interface SqsConnector<T = unknown> extends Connector<SqsDelivery, T> {
  readonly name: string;
  readonly defaultCodec: Codec<T>;
  /** The queue consumed (a name or URL, as given). */
  readonly queue: string;
  readonly fifo: boolean;
  /** Where dead letters go: a queue name or URL, or `'redrive'`. */
  readonly deadLetterQueue: string;
  open(context: OpenContext): Promise<Session<SqsDelivery>>;
}

/**
 * A source over an Amazon SQS queue (standard or FIFO): long-polling `ReceiveMessage` calls by
 * credit (up to 10 messages each, several in flight while a backlog and the credit allow), so the messages rxq
 * holds plus those asked for never exceed `maxInFlight`.
 *
 * Settlement: ack deletes (`DeleteMessageBatch`, ten per call), a requeue makes the message visible
 * at once (`ChangeMessageVisibility 0`), a resend makes the same message visible again after the
 * delay (its `ApproximateReceiveCount` is the attempt; up to 12 hours), a dead letter sends a copy
 * (body and typed attributes, plus rxq's reason attributes) to the dead-letter queue and deletes the
 * original, or with `deadLetterQueue: 'redrive'` leaves it to the queue's redrive policy. While a
 * message is held its visibility is extended every half visibility timeout.
 *
 * FIFO queues: the message group id is the message's `key`; dead letters keep the group and carry
 * a deduplication id derived from the message id.
 *
 * @example
 * fromQueue(sqs('orders', { clientConfig: { region: 'eu-west-1' } }), { maxInFlight: 100 })
 *   .pipe(handle(ship, { concurrency: 16 }), retryWithResend({ maxAttempts: 5 }), ack())
 *   .subscribe();
 */
export function sqs<T = unknown>(queue: string, options: SqsOptions<T> = {}): SqsConnector<T> {
  const s = settingsOf(queue, options);
  return {
    name: queueName(s.queue),
    system: 'aws_sqs',
    defaultCodec: s.codec as Codec<T>,
    queue: s.queue,
    fifo: s.fifo,
    deadLetterQueue: s.deadLetterQueue,
    open: (context) => SqsSession.open(s, context),
  };
}
