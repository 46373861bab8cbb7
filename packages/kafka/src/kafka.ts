import { json, type Connector } from '@rxq/core';
import { logLevel, type Kafka } from 'kafkajs';
import type { TopicPartition } from './driver.js';
import { kafkajsClient, kafkajsDriver } from './kafkajsDriver.js';
import { settingsOf, type KafkaSourceOptions, type SeekTarget } from './options.js';
import type { KafkaDelivery } from './partition.js';
import { KafkaSession } from './session.js';

/**
 * A source over Kafka topics read by a consumer group, with per-message settlement.
 *
 * Each `fromQueue` subscription (and each reconnect) joins the group with its own consumer.
 * Acks may come in any order: per partition only the highest offset below which everything is
 * settled is committed (every `commitIntervalMs`, on revoke and on close), so a crash redelivers
 * what was in flight and never skips an unsettled message. Credit: the fetch loop is held while
 * buffered + in-flight messages reach `maxInFlight`. Resend and `nack` (requeue) produce a copy
 * with `x-rxq-attempt` + 1 to the topic (or `retryTopic`), after its delay, then settle the
 * original; dead letters go to `${topic}.dead` with the reason and error in headers. A consumer
 * crash or a lost broker rejects `receive` so that `fromQueue` reconnects; closing commits what
 * is settled, then leaves the group.
 *
 * @example
 * fromQueue(kafka('orders', { groupId: 'billing', brokers: ['127.0.0.1:9092'] }), { maxInFlight: 1024 })
 *   .pipe(handle(charge, { concurrency: 64, key: (m) => m.partition }), retryWithResend({ maxAttempts: 5 }), ack())
 *   .subscribe();
 */
export function kafka(topics: string | readonly string[], options: KafkaSourceOptions): Connector<KafkaDelivery> {
  const settings = settingsOf(topics, options);
  let client: Kafka | undefined = options.client;
  const makeDriver =
    options.driver ??
    ((o) => {
      client ??= kafkajsClient({
        brokers: options.brokers ?? ['127.0.0.1:9092'],
        clientId: options.clientId ?? 'rxq',
        logLevel: options.logLevel ?? logLevel.ERROR,
      });
      return kafkajsDriver(client, o);
    });
  // Seeks apply once per connector, on the first assignment of each partition they name.
  const applied = new Set<string>();
  const seekOnce = (tp: TopicPartition): readonly SeekTarget[] => {
    const key = `${tp.topic}:${tp.partition}`;
    if (applied.has(key)) return [];
    applied.add(key);
    return settings.seek.filter((s) => s.topic === tp.topic && ('timestamp' in s || s.partition === tp.partition));
  };

  return {
    name: settings.topics.join(','),
    defaultCodec: options.codec ?? json,
    async open(context) {
      const driver = makeDriver({
        topics: settings.topics,
        groupId: settings.groupId,
        fromBeginning: settings.fromBeginning,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
        fetchMaxWaitMs: settings.fetchMaxWaitMs,
        maxBytesPerPartition: settings.maxBytesPerPartition,
        maxFetchBytes: settings.maxFetchBytes,
      });
      const session = new KafkaSession(driver, settings, context, seekOnce);
      await session.start();
      return session;
    },
  };
}
