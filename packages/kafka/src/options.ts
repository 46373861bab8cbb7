import { InvalidOptionError, type Codec } from '@rxq/core';
import type { Kafka, logLevel } from 'kafkajs';
import type { KafkaDriverFactory } from './driver.js';

/** Where a partition starts on its first assignment: an offset, or the first record at a time. */
export type SeekTarget =
  | { readonly topic: string; readonly partition: number; readonly offset: string | number }
  | { readonly topic: string; readonly timestamp: number };

/** Options of {@link kafka}. */
export interface KafkaSourceOptions {
  /** The consumer group. Consumers of one group share the topic's partitions. */
  readonly groupId: string;
  /** Bootstrap brokers, used when no `client` is given. @default ['127.0.0.1:9092'] */
  readonly brokers?: readonly string[];
  /** A kafkajs client the application already has; `brokers`, `clientId` and `logLevel` are then ignored. @default a new client */
  readonly client?: Kafka;
  /** kafkajs client id. @default 'rxq' */
  readonly clientId?: string;
  /** kafkajs log level of the client rxq makes. @default logLevel.ERROR */
  readonly logLevel?: logLevel;
  /** Where a new group starts: the earliest record (true) or only new ones (false). @default false */
  readonly fromBeginning?: boolean;
  /** Decodes payloads. @default json */
  readonly codec?: Codec<unknown>;
  /** Where resent copies go. @default the topic the message came from */
  readonly retryTopic?: string;
  /** Where dead letters go, as a name or a function of the source topic. @default `${topic}.dead` */
  readonly deadLetterTopic?: string | ((topic: string) => string);
  /** How often settled offsets are committed (also on revoke and on close). @default 1_000 */
  readonly commitIntervalMs?: number;
  /** How long in-flight messages of revoked partitions get to settle before the commit. @default 5_000 */
  readonly revokeTimeoutMs?: number;
  /** Group session timeout: a consumer silent this long is dropped from the group. @default 30_000 */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval to the group coordinator. @default 3_000 */
  readonly heartbeatIntervalMs?: number;
  /** How long the group waits for members to rejoin during a rebalance. @default 60_000 */
  readonly rebalanceTimeoutMs?: number;
  /** Broker long-poll wait of a fetch when no records are there (a close waits for one in flight). @default 100 */
  readonly fetchMaxWaitMs?: number;
  /**
   * Fetch size per partition. With `maxFetchBytes` it bounds what is buffered beyond
   * `maxInFlight` (and the heap: smaller fetches hold less but take more round trips). @default 524_288
   */
  readonly maxBytesPerPartition?: number;
  /** Fetch size over all partitions of a request. @default 524_288 */
  readonly maxFetchBytes?: number;
  /** `receive` resolves empty after this long without records. @default 1_000 */
  readonly pollMs?: number;
  /** Where partitions start when first assigned to this connector (replay). @default [] */
  readonly seek?: readonly SeekTarget[];
  /** The client seam: makes a driver per session. @default kafkajs */
  readonly driver?: KafkaDriverFactory;
}

/** Validated settings, every default filled in. */
export interface KafkaSettings {
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly fromBeginning: boolean;
  readonly retryTopic: string | undefined;
  readonly deadLetterTopic: (topic: string) => string;
  readonly commitIntervalMs: number;
  readonly revokeTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly fetchMaxWaitMs: number;
  readonly pollMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxFetchBytes: number;
  readonly seek: readonly SeekTarget[];
}

const duration = (name: string, value: number | undefined, fallback: number, min = 1): number => {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    throw new InvalidOptionError(name, `a finite number >= ${min}`, v);
  return v;
};

const topicName = (name: string, v: unknown): string => {
  if (typeof v !== 'string' || v.length === 0) throw new InvalidOptionError(name, 'a non-empty topic name', v);
  return v;
};

/** Checks options at construction; throws {@link InvalidOptionError} naming the option. */
export function settingsOf(topics: string | readonly string[], options: KafkaSourceOptions): KafkaSettings {
  const list: readonly string[] = typeof topics === 'string' ? [topics] : topics;
  if (!Array.isArray(list) || list.length === 0)
    throw new InvalidOptionError('topics', 'a topic name or a non-empty array of them', topics);
  list.forEach((t) => topicName('topics', t));
  if (options === null || typeof options !== 'object')
    throw new InvalidOptionError('options', 'an object with groupId', options);
  const groupId = options.groupId;
  if (typeof groupId !== 'string' || groupId.length === 0)
    throw new InvalidOptionError('groupId', 'a non-empty string', groupId);
  const dead = options.deadLetterTopic;
  if (dead !== undefined && typeof dead !== 'function') topicName('deadLetterTopic', dead);
  if (options.retryTopic !== undefined) topicName('retryTopic', options.retryTopic);
  if (options.brokers !== undefined && (!Array.isArray(options.brokers) || options.brokers.length === 0))
    throw new InvalidOptionError('brokers', 'a non-empty array of host:port', options.brokers);
  const seek: readonly SeekTarget[] = options.seek ?? [];
  if (!Array.isArray(seek))
    throw new InvalidOptionError('seek', 'an array of { topic, partition, offset } or { topic, timestamp }', seek);
  for (const s of seek as readonly SeekTarget[]) {
    const ok =
      typeof s?.topic === 'string' &&
      ('timestamp' in s
        ? Number.isFinite(s.timestamp)
        : Number.isInteger(s.partition) && /^\d+$/.test(String(s.offset)));
    if (!ok) throw new InvalidOptionError('seek', 'entries { topic, partition, offset } or { topic, timestamp }', s);
  }
  const heartbeatIntervalMs = duration('heartbeatIntervalMs', options.heartbeatIntervalMs, 3_000);
  const sessionTimeoutMs = duration('sessionTimeoutMs', options.sessionTimeoutMs, 30_000);
  if (heartbeatIntervalMs >= sessionTimeoutMs)
    throw new InvalidOptionError(
      'heartbeatIntervalMs',
      `less than sessionTimeoutMs (${sessionTimeoutMs})`,
      heartbeatIntervalMs,
    );
  return {
    topics: [...(list as readonly string[])],
    groupId,
    fromBeginning: options.fromBeginning ?? false,
    retryTopic: options.retryTopic,
    deadLetterTopic: typeof dead === 'function' ? dead : dead !== undefined ? () => dead : (t) => `${t}.dead`,
    commitIntervalMs: duration('commitIntervalMs', options.commitIntervalMs, 1_000),
    revokeTimeoutMs: duration('revokeTimeoutMs', options.revokeTimeoutMs, 5_000, 0),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs: duration('rebalanceTimeoutMs', options.rebalanceTimeoutMs, 60_000),
    fetchMaxWaitMs: duration('fetchMaxWaitMs', options.fetchMaxWaitMs, 100),
    pollMs: duration('pollMs', options.pollMs, 1_000),
    maxBytesPerPartition: duration('maxBytesPerPartition', options.maxBytesPerPartition, 524_288, 1_024),
    maxFetchBytes: duration('maxFetchBytes', options.maxFetchBytes, 524_288, 1_024),
    seek,
  };
}
