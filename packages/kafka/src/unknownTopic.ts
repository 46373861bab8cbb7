import { ConnectionLostError, NotFoundError, type RxqError } from '@rxq/core';
import { kafkaError } from './errors.js';

/**
 * Tells a topic that is not known yet from one that does not exist. On a cluster a freshly created
 * topic reaches the brokers one after another, and one that has not heard of it answers
 * `UNKNOWN_TOPIC_OR_PARTITION`: for `retryMs` after the first such answer in a row that is a lost
 * connection (retryable: `fromQueue` reconnects, a new consumer asks for fresh metadata), then the
 * `NotFoundError` that ends the stream. An assignment with partitions ends the row.
 *
 * @example
 * const grace = new UnknownTopicGrace(['orders'], 10_000);
 * throw grace.classify(error, 'could not join the Kafka consumer group');
 */
export class UnknownTopicGrace {
  private since: number | undefined;

  constructor(
    private readonly topics: readonly string[],
    private readonly retryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** {@link kafkaError}, with an unknown topic retryable while the grace lasts. */
  classify(error: unknown, context: string): RxqError {
    const e = kafkaError(error, context);
    if (!(e instanceof NotFoundError)) return e;
    const t = this.now();
    this.since ??= t;
    const topics = this.topics.join(', ');
    if (t - this.since >= this.retryMs)
      return new NotFoundError(
        `Kafka does not know the topic ${topics} (${this.retryMs > 0 ? `asked for ${t - this.since} ms: ` : ''}${e.message})`,
        error,
      );
    return new ConnectionLostError(`${context}: Kafka does not know the topic ${topics} yet; asking again`, error);
  }

  /** The topic is known (partitions were assigned): the next unknown-topic answer starts a new row. */
  known(): void {
    this.since = undefined;
  }
}
