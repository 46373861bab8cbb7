import { InvalidOptionError, type Codec } from '@rxq/core';
import {
  bool,
  codecOption,
  duration,
  nonEmpty,
  numberIn,
  oneOf,
  opt,
  positiveInt,
  rejectUnknownOptions,
} from '@rxq/core/kit';
import type { Kafka } from 'kafkajs';
import { checkConnection, CONNECTION_KEYS, isKafkaClient, type KafkaConnectionOptions } from './connection.js';
import type { KafkaDriverFactory } from './driver.js';

/** Where a partition starts on its first assignment: an offset, or the first record at a time. */
export type SeekTarget =
  | { readonly topic: string; readonly partition: number; readonly offset: string | number }
  | { readonly topic: string; readonly timestamp: number };

/** What the source does with a tombstone (a record whose value is null). */
export type TombstonePolicy = 'deliver' | 'skip';

/** Options of {@link kafka}. `T` is the body type of `codec`. */
export interface KafkaSourceOptions<T = unknown> extends KafkaConnectionOptions {
  /** The consumer group. Consumers of one group share the topic's partitions. */
  readonly groupId: string;
  /**
   * A kafkajs client the application already has (checked by shape, used, and left as it is).
   * `brokers`, `clientId`, `ssl`, `sasl` and `logLevel` cannot be honoured with it: giving them too is an error.
   * @default a new client from the connection options
   */
  readonly client?: Kafka;
  /** Where a new group starts: the earliest record (true) or only new ones (false). @default false */
  readonly fromBeginning?: boolean;
  /**
   * Decodes values into bodies. A tombstone (null value) is not decoded: its body is `null`.
   * @default json
   */
  readonly codec?: Codec<T>;
  /**
   * Tombstones (null values, the deletes of a compacted topic): `'deliver'` them with body `null`,
   * or `'skip'` them (settled at once, committed like any acked record, never emitted).
   * @default 'deliver'
   */
  readonly tombstones?: TombstonePolicy;
  /** Where resent copies go. @default the topic the message came from */
  readonly retryTopic?: string;
  /** Where dead letters go, as a name or a function of the source topic; created before its first use. @default `${topic}.dead` */
  readonly deadLetterTopic?: string | ((topic: string) => string);
  /**
   * Settled offsets are committed within this long of a settle, and at once (one commit in flight,
   * what is due meanwhile sent right after) when `maxUncommitted` messages have settled since the
   * last commit; also on revoke and on close. `0` commits after every turn of the event loop that
   * settled something: fewest redeliveries after a crash, most commit requests. @default 1_000
   */
  readonly commitIntervalMs?: number;
  /**
   * Commit at once when this many messages have settled since the last commit was sent: with the
   * messages in flight, it bounds what a crash delivers again. @default the source's `maxInFlight`
   */
  readonly maxUncommitted?: number;
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
  /**
   * How long an unknown topic (`UNKNOWN_TOPIC_OR_PARTITION`) is asked for again before it ends the
   * stream with a `NotFoundError`, counted from the first time in a row: on a cluster a freshly
   * created topic is briefly unknown to some brokers. Meanwhile each attempt reconnects (a new
   * consumer, fresh metadata). `0`: fail at once. @default 10_000
   */
  readonly unknownTopicRetryMs?: number;
  /**
   * The stall watchdog: a session that owns partitions, holds nothing, has fetched nothing for
   * this long and finds records past its position on the broker is reported lost (logged at
   * warn), and `fromQueue` opens a new one. The broker is asked at most once per period, only while
   * idle. `0`: off. @default 30_000
   */
  readonly stallTimeoutMs?: number;
  /** Where partitions start when first assigned to this connector (replay). @default [] */
  readonly seek?: readonly SeekTarget[];
  /**
   * The Kafka client: `'kafkajs'` (kafkajs 2.x), `'platformatic'` (`@platformatic/kafka` 1.x, an
   * optional peer to install), or a factory of your own behind the `KafkaDriver` seam.
   * @default 'kafkajs'
   */
  readonly driver?: 'kafkajs' | 'platformatic' | KafkaDriverFactory;
}

const SOURCE_KEYS = [
  ...CONNECTION_KEYS,
  'groupId',
  'client',
  'fromBeginning',
  'codec',
  'tombstones',
  'retryTopic',
  'deadLetterTopic',
  'commitIntervalMs',
  'maxUncommitted',
  'revokeTimeoutMs',
  'sessionTimeoutMs',
  'heartbeatIntervalMs',
  'rebalanceTimeoutMs',
  'fetchMaxWaitMs',
  'maxBytesPerPartition',
  'maxFetchBytes',
  'pollMs',
  'unknownTopicRetryMs',
  'stallTimeoutMs',
  'seek',
  'driver',
] as const;

/** Validated settings, every default filled in. */
export interface KafkaSettings {
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly fromBeginning: boolean;
  readonly retryTopic: string | undefined;
  readonly deadLetterTopic: (topic: string) => string;
  readonly commitIntervalMs: number;
  readonly maxUncommitted: number | undefined;
  readonly revokeTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly fetchMaxWaitMs: number;
  readonly pollMs: number;
  readonly unknownTopicRetryMs: number;
  readonly stallTimeoutMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxFetchBytes: number;
  readonly seek: readonly SeekTarget[];
  readonly skipTombstones: boolean;
}

/** A fetch size in bytes: the protocol's int32, at least 1 KiB. */
const fetchBytes = (option: string, value: unknown): number =>
  numberIn(option, value, 524_288, { min: 1_024, max: 2_147_483_647, integer: true });

const topicName = (name: string, v: unknown): string => {
  if (typeof v !== 'string' || v.length === 0) throw new InvalidOptionError(name, 'a non-empty topic name', v);
  return v;
};

/** Checks options at construction; throws {@link InvalidOptionError} naming the option. */
export function settingsOf<T>(topics: string | readonly string[], options: KafkaSourceOptions<T>): KafkaSettings {
  const list: readonly string[] = typeof topics === 'string' ? [topics] : topics;
  if (!Array.isArray(list) || list.length === 0)
    throw new InvalidOptionError('topics', 'a topic name or a non-empty array of them', topics);
  list.forEach((t) => topicName('topics', t));
  if (options === null || typeof options !== 'object')
    throw new InvalidOptionError('options', 'an object with groupId', options);
  rejectUnknownOptions(options, SOURCE_KEYS);
  if (options.client !== undefined) {
    if (!isKafkaClient(options.client))
      throw new InvalidOptionError('client', 'a kafkajs Kafka client (consumer, producer, admin)', options.client);
    const ignored = CONNECTION_KEYS.filter((k) => options[k] !== undefined);
    if (ignored.length > 0)
      throw new InvalidOptionError(
        ignored[0] as string,
        `no ${ignored.join(', ')} with \`client\` (set them on the client you pass)`,
        typeof options[ignored[0] as keyof KafkaConnectionOptions],
      );
  } else checkConnection(options);
  codecOption(options.codec);
  const tombstones = oneOf('tombstones', options.tombstones, ['deliver', 'skip'], 'deliver');
  const driver = options.driver;
  if (driver !== undefined && driver !== 'kafkajs' && driver !== 'platformatic' && typeof driver !== 'function')
    throw new InvalidOptionError('driver', "'kafkajs', 'platformatic' or a function (options) => KafkaDriver", driver);
  if (driver === 'platformatic') {
    if (options.client !== undefined)
      throw new InvalidOptionError('client', "no kafkajs client with driver 'platformatic'", typeof options.client);
    if (options.logLevel !== undefined)
      throw new InvalidOptionError('logLevel', "no kafkajs logLevel with driver 'platformatic'", options.logLevel);
    const mechanism = (options.sasl as { mechanism?: unknown } | undefined)?.mechanism;
    if (
      mechanism !== undefined &&
      (typeof mechanism !== 'string' || !['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism))
    )
      throw new InvalidOptionError(
        'sasl.mechanism',
        "plain, scram-sha-256 or scram-sha-512 with driver 'platformatic'",
        mechanism,
      );
  }
  const groupId = nonEmpty('groupId', options.groupId);
  const dead = options.deadLetterTopic;
  if (dead !== undefined && typeof dead !== 'function') topicName('deadLetterTopic', dead);
  if (options.retryTopic !== undefined) topicName('retryTopic', options.retryTopic);
  const seek: readonly SeekTarget[] = options.seek ?? [];
  if (!Array.isArray(seek))
    throw new InvalidOptionError('seek', 'an array of { topic, partition, offset } or { topic, timestamp }', seek);
  (seek as readonly SeekTarget[]).forEach((s, i) => {
    if (typeof s === 'object' && s !== null)
      rejectUnknownOptions(
        s,
        'timestamp' in s ? ['topic', 'timestamp'] : ['topic', 'partition', 'offset'],
        `seek[${i}]`,
      );
    const ok =
      typeof s?.topic === 'string' &&
      ('timestamp' in s
        ? Number.isFinite(s.timestamp)
        : Number.isInteger(s.partition) && /^\d+$/.test(String(s.offset)));
    if (!ok) throw new InvalidOptionError('seek', 'entries { topic, partition, offset } or { topic, timestamp }', s);
  });
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
    fromBeginning: bool('fromBeginning', options.fromBeginning, false),
    retryTopic: options.retryTopic,
    deadLetterTopic: typeof dead === 'function' ? dead : dead !== undefined ? () => dead : (t) => `${t}.dead`,
    commitIntervalMs: duration('commitIntervalMs', options.commitIntervalMs, 1_000, 0),
    maxUncommitted: opt<number | undefined>(options.maxUncommitted, undefined, (v) => positiveInt('maxUncommitted', v)),
    revokeTimeoutMs: duration('revokeTimeoutMs', options.revokeTimeoutMs, 5_000, 0),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs: duration('rebalanceTimeoutMs', options.rebalanceTimeoutMs, 60_000),
    fetchMaxWaitMs: duration('fetchMaxWaitMs', options.fetchMaxWaitMs, 100),
    pollMs: duration('pollMs', options.pollMs, 1_000),
    unknownTopicRetryMs: duration('unknownTopicRetryMs', options.unknownTopicRetryMs, 10_000, 0),
    stallTimeoutMs: duration('stallTimeoutMs', options.stallTimeoutMs, 30_000, 0),
    maxBytesPerPartition: fetchBytes('maxBytesPerPartition', options.maxBytesPerPartition),
    maxFetchBytes: fetchBytes('maxFetchBytes', options.maxFetchBytes),
    seek,
    skipTombstones: tombstones === 'skip',
  };
}
