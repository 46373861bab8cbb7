import { json, type Codec, type Connector, type Logger } from '@rxq/core';
import type { Kafka } from 'kafkajs';
import { makeClient } from './connection.js';
import type { DriverConsumerOptions, KafkaDriverFactory, TopicPartition } from './driver.js';
import { platformaticDriver } from './platformaticDriver.js';
import { kafkajsDriver } from './kafkajsDriver.js';
import { settingsOf, type KafkaSourceOptions, type SeekTarget } from './options.js';
import type { KafkaDelivery } from './partition.js';
import { KafkaSession } from './session.js';
import { UnknownTopicGrace } from './unknownTopic.js';

/**
 * A source over Kafka topics read by a consumer group, with per-message settlement.
 *
 * Each `fromQueue` subscription (and each reconnect) joins the group with its own consumer.
 * Acks may come in any order: per partition only the highest offset below which everything is
 * settled is committed (at once every `maxUncommitted` settles, else within `commitIntervalMs`;
 * on revoke and on close), so a crash redelivers what was in flight and what settled since the
 * last commit, and never skips an unsettled message. Credit: the fetch loop is held while buffered
 * + in-flight messages reach `maxInFlight`. Every compression codec is read; tombstones are
 * delivered with body `null` (or skipped); transaction markers and aborted records are committed
 * past. Resend and `nack` (requeue) produce a copy (every original header byte for byte, plus
 * `x-rxq-attempt` + 1) to the topic (or `retryTopic`), after its delay, then settle the original;
 * dead letters go to `${topic}.dead` (created before its first use) with the reason and error in
 * headers. A consumer crash or a lost broker rejects `receive` so that `fromQueue` reconnects;
 * bad credentials, refused permissions or an unsupported feature error the stream instead.
 * kafkajs' logs go to the source's logger. Closing commits what is settled, then leaves the group.
 *
 * @example
 * fromQueue(kafka('orders', { groupId: 'billing', brokers: 'kafka://127.0.0.1:9092' }), { maxInFlight: 1024 })
 *   .pipe(handle(charge, { concurrency: 64, key: (m) => m.partition }), retryWithResend({ maxAttempts: 5 }), ack())
 *   .subscribe();
 */
export function kafka<T = unknown>(
  topics: string | readonly string[],
  options: KafkaSourceOptions<T> & { readonly tombstones: 'skip' },
): Connector<KafkaDelivery, T>;
export function kafka<T = unknown>(
  topics: string | readonly string[],
  options: KafkaSourceOptions<T>,
): Connector<KafkaDelivery, T | null>;
export function kafka<T = unknown>(
  topics: string | readonly string[],
  options: KafkaSourceOptions<T>,
): Connector<KafkaDelivery, T | null> {
  const settings = settingsOf(topics, options);
  let client: Kafka | undefined = options.client;
  const makeDriver: KafkaDriverFactory =
    typeof options.driver === 'function'
      ? options.driver
      : options.driver === 'platformatic'
        ? (o, logger) => platformaticDriver(options, o, logger)
        : (o: DriverConsumerOptions, logger: Logger) => {
            client ??= makeClient(options, logger);
            return kafkajsDriver(client, o);
          };
  // Seeks apply once per connector, on the first assignment of each partition they name.
  const applied = new Set<string>();
  const seekOnce = (tp: TopicPartition): readonly SeekTarget[] => {
    const key = `${tp.topic}:${tp.partition}`;
    if (applied.has(key)) return [];
    applied.add(key);
    return settings.seek.filter((s) => s.topic === tp.topic && ('timestamp' in s || s.partition === tp.partition));
  };

  // Shared by the sessions of this connector: an unknown topic is asked for again across reconnects.
  const unknownTopic = new UnknownTopicGrace(settings.topics, settings.unknownTopicRetryMs);

  return {
    name: settings.topics.join(','),
    system: 'kafka',
    defaultCodec: tombstoneAware((options.codec ?? json) as Codec<T>),
    async open(context) {
      const driver = makeDriver(
        {
          topics: settings.topics,
          groupId: settings.groupId,
          fromBeginning: settings.fromBeginning,
          sessionTimeoutMs: settings.sessionTimeoutMs,
          heartbeatIntervalMs: settings.heartbeatIntervalMs,
          rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
          fetchMaxWaitMs: settings.fetchMaxWaitMs,
          maxBytesPerPartition: settings.maxBytesPerPartition,
          maxFetchBytes: settings.maxFetchBytes,
        },
        context.logger,
      );
      const session = new KafkaSession(driver, settings, context, seekOnce, unknownTopic);
      await session.start();
      return session;
    },
  };
}

/**
 * `codec` for every value except a tombstone (null value), whose body is `null`: the codec is not
 * asked to decode what is not there. Named after the codec it wraps.
 */
function tombstoneAware<T>(codec: Codec<T>): Codec<T | null> {
  return {
    name: codec.name,
    decode: (payload, headers) => (payload === null ? null : codec.decode(payload, headers)),
    encode: (body) => (body === null ? new Uint8Array(0) : codec.encode(body)),
  };
}
