import { InvalidOptionError, rejectUnknownOptions, type Codec, type Connector } from '@rxq/core';
import type { PgDelivery } from './delivery.js';
import { translate } from './errors.js';
import { Jobs } from './jobs.js';
import { Log } from './log.js';
import { Opener, sessionId } from './opener.js';
import { nonEmpty } from '@rxq/core/kit';
import { COMMON_KEYS, commonSettings, type CommonOptions } from './options.js';
import { channelOf, DEFAULT_SCHEMA, quoteSchema, syncCommit, retryQueueOf } from './sql.js';
import { TopicSession, type TopicSettings } from './topicSession.js';

/** Options of {@link pgTopic}. */
export interface PgTopicOptions extends CommonOptions {
  /** The subscriber: each named subscriber sees every message and keeps its own committed offset. */
  readonly subscriber: string;
  /**
   * Where a new subscriber starts: after the last message published so far (`end`), or at the
   * oldest message still kept (`beginning`). An existing subscriber goes on from its offset.
   * @default 'end'
   */
  readonly start?: 'end' | 'beginning';
}

/**
 * A topic log in PostgreSQL as an rxq source: `fromQueue(pgTopic('orders', { subscriber: 'billing' }))`.
 * Messages published with {@link publishTopic} get gapless offsets per topic, from 1. Each named
 * subscriber sees every message and keeps a committed offset; several processes of one subscriber
 * share its stream: each claims a range of the next offsets (up to its credit) under the
 * subscriber row's lock, so no two handle the same message in steady state. Acks may come in any
 * order: the contiguous settled prefix of each range is committed (batched). A range whose
 * consumer died is taken over when its lease ends, and read again with attempt + 1. Resent copies
 * go to the subscriber's own retry queue (other subscribers never see them); dead letters are
 * copied to `dead_letters` with the subscriber's name. Replay with {@link resetSubscriber}; delete
 * old messages with {@link pruneTopic}.
 *
 * @example
 * fromQueue(pgTopic('orders', { subscriber: 'billing', start: 'beginning', connection: pool }))
 *   .pipe(handle(bill, { concurrency: 16, key: (m) => m.body.customerId }), ack())
 *   .subscribe();
 */
export function pgTopic<T = unknown>(
  topic: string,
  options: PgTopicOptions & { readonly codec?: Codec<T> },
): Connector<PgDelivery, T> {
  rejectUnknownOptions(options, [...COMMON_KEYS, 'subscriber', 'start']);
  nonEmpty('topic', topic);
  const subscriber = nonEmpty('subscriber', options.subscriber);
  const start = options.start ?? 'end';
  if (start !== 'end' && start !== 'beginning') throw new InvalidOptionError('start', "'end' or 'beginning'", start);
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema('schema', schema);
  const common = commonSettings(options);
  const settings: TopicSettings = {
    topic,
    subscriber,
    retryQueue: retryQueueOf(topic, subscriber),
    schema,
    channel: channelOf(schema),
    pollMs: common.pollMs,
    leaseMs: common.leaseMs,
    jobs: new Jobs(s, syncCommit(common.synchronousCommit)),
    log: new Log(s, syncCommit(common.synchronousCommit)),
    maxAckBatch: common.maxAckBatch,
  };
  const opener = new Opener(
    options,
    `${topic}:${subscriber}`,
    schema,
    settings.channel,
    common.migrate,
    common.maxConnections,
  );
  const connector: Connector<PgDelivery, T> = {
    name: topic,
    async open(context) {
      const { pool, listener, pools } = await opener.open(context);
      try {
        await settings.log.subscribe(pool, topic, subscriber, start);
      } catch (error) {
        listener.release(true);
        await pools.release();
        throw translate(error, 'opening the subscriber');
      }
      return new TopicSession(pool, listener, pools, context, settings, sessionId(common.consumerName));
    },
  };
  if (options.codec !== undefined) (connector as { defaultCodec?: Codec<T> }).defaultCodec = options.codec;
  return connector;
}
