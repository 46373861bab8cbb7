import { InvalidOptionError, rejectUnknownOptions } from '@rxq/core';
import type { Kafka } from 'kafkajs';
import {
  checkConnection,
  CONNECTION_KEYS,
  isKafkaClient,
  makeClient,
  type KafkaConnectionOptions,
} from './connection.js';
import { kafkaError } from './errors.js';

/** Options of {@link resetOffsets}. */
export interface ResetOffsetsOptions extends KafkaConnectionOptions {
  readonly groupId: string;
  readonly topic: string;
  /** `earliest`, `latest`, a timestamp (`{ timestamp }`, ms since the epoch) or offsets per partition. */
  readonly to:
    | 'earliest'
    | 'latest'
    | { readonly timestamp: number }
    | { readonly offsets: readonly { partition: number; offset: string | number }[] };
  /** A kafkajs client to use. @default a new one */
  readonly client?: Kafka;
}

/**
 * Moves a consumer group's committed offsets on a topic (replay, or skip ahead). The group must
 * have no running members (stop its consumers first): Kafka refuses otherwise, and the promise
 * rejects with the broker's error. Commits nothing else and settles no message.
 *
 * @example
 * await resetOffsets({ groupId: 'billing', topic: 'orders', to: { timestamp: Date.parse('2026-11-01') } });
 */
export async function resetOffsets(options: ResetOffsetsOptions): Promise<void> {
  rejectUnknownOptions(options, [...CONNECTION_KEYS, 'groupId', 'topic', 'to', 'client']);
  if (options.client !== undefined && !isKafkaClient(options.client))
    throw new InvalidOptionError('client', 'a kafkajs Kafka client', options.client);
  if (options.client === undefined) checkConnection(options);
  if (typeof options?.groupId !== 'string' || options.groupId === '')
    throw new InvalidOptionError('groupId', 'a non-empty string', options?.groupId);
  if (typeof options.topic !== 'string' || options.topic === '')
    throw new InvalidOptionError('topic', 'a non-empty topic name', options.topic);
  const client = options.client ?? makeClient({ clientId: 'rxq-admin', ...options });
  const admin = client.admin();
  try {
    await admin.connect();
    const { groupId, topic, to } = options;
    if (to === 'earliest' || to === 'latest') {
      // Real offsets, not kafkajs' -2/-1 markers (a consumer that reads those back falls to its own default).
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((e) => ({ partition: e.partition, offset: to === 'earliest' ? e.low : e.high })),
      });
    } else if ('timestamp' in to) {
      const found = await admin.fetchTopicOffsetsByTimestamp(topic, to.timestamp);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: found.map(({ partition, offset }) => ({ partition, offset })),
      });
    } else if (Array.isArray(to.offsets))
      await admin.setOffsets({
        groupId,
        topic,
        partitions: (to.offsets as readonly { partition: number; offset: string | number }[]).map(
          ({ partition, offset }) => ({ partition, offset: String(offset) }),
        ),
      });
    else throw new InvalidOptionError('to', "'earliest', 'latest', { timestamp } or { offsets }", to);
  } catch (error) {
    if (error instanceof InvalidOptionError) throw error;
    throw kafkaError(error, 'could not reset the Kafka consumer group offsets');
  } finally {
    await admin.disconnect();
  }
}
