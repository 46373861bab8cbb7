import type { Logger } from '@rxq/core';
/**
 * The one seam between the connector and a Kafka client library. Everything client-specific
 * lives behind it (today: kafkajs, in `kafkajsDriver.ts`), so that another client can be plugged
 * in later without touching the offset tracking, credit and settlement logic.
 */

/** A header value as clients hand it over: bytes or text (null: a header without value), possibly repeated. */
export type HeaderValue = Uint8Array | string | null | readonly (Uint8Array | string | null)[] | undefined;

/**
 * A record as the connector sees it: bytes, offset and timestamp as decimal strings. Shaped so
 * that a client's own message objects can be passed through without copying (kafkajs' are).
 */
export interface KafkaRecord {
  readonly offset: string;
  readonly key?: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string;
}

/** A record to produce. Header values are sent byte for byte; an array is a repeated header. */
export interface OutgoingRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** A partition to write to. @default the client's partitioner (by key) */
  readonly partition?: number;
}

/** One partition of one topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** An offset to commit: the next offset the group should consume from the partition. */
export interface PartitionOffset extends TopicPartition {
  readonly offset: string;
}

/** What a driver may do while the connector holds a batch. */
export interface BatchControl {
  /** Heartbeat to the group; rejects when the group is rebalancing (then rethrow it). */
  heartbeat(): Promise<void>;
  /** Commits with the generation the batch was fetched in (valid while a rebalance is pending). */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /** Whether `error` (from heartbeat) means the group is rebalancing. */
  isRebalance(error: unknown): boolean;
}

/** Callbacks the connector gives the driver. */
export interface DriverHandlers {
  /**
   * A fetched batch of one partition, in offset order. The driver has already moved its fetch
   * position past it; the promise holds the fetch loop (credit) until it resolves. `lastOffset` is
   * the last offset the fetch covered, past the last record when it ended with records that are not
   * delivered (a transaction marker, aborted records). One batch at a time: the next call comes
   * only after the promise of the last one resolved (the session holds one fetch loop for credit).
   */
  batch(
    partition: TopicPartition,
    records: readonly KafkaRecord[],
    control: BatchControl,
    lastOffset?: string,
  ): Promise<void>;
  /**
   * A fetch of a partition that held records but none to deliver (transaction markers, aborted
   * records) up to `lastOffset`: the group may commit past them once what precedes is settled.
   */
  filtered?(partition: TopicPartition, lastOffset: string): void;
  /** The group is about to rebalance: every partition of this member is being revoked. */
  rebalancing(): void;
  /** A new generation: the partitions this member owns now. */
  assigned(partitions: readonly TopicPartition[]): void;
  /** The consumer stopped for good (broker gone, retries exhausted). */
  crashed(error: unknown): void;
}

/** Consumer-group settings a driver is opened with. */
export interface DriverConsumerOptions {
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly fetchMaxWaitMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxFetchBytes: number;
}

/**
 * A live consumer (and producer) of one session: what the connector needs from a Kafka client.
 *
 * @example
 * const driver = kafkajsDriver(client, options);
 * await driver.start({ batch: async (tp, records) => buffer(tp, records), rebalancing() {}, assigned() {}, crashed: lost });
 */
export interface KafkaDriver {
  /** Connects, joins the group and starts fetching into `handlers.batch`. */
  start(handlers: DriverHandlers): Promise<void>;
  /** Commits offsets with the current generation. */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /** Produces records to a topic and waits for the broker's acknowledgement (all replicas). */
  produce(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /** Creates `topic` if it does not exist (before a dead letter's first use). @default nothing */
  ensureTopic?(topic: string): Promise<void>;
  /** Moves the fetch position of an assigned partition. */
  seek(target: PartitionOffset): void;
  /** For each partition of `topic`, the first offset at or after `timestamp`. */
  offsetsAt(topic: string, timestamp: number): Promise<readonly PartitionOffset[]>;
  /**
   * For each partition of `topic`: the group's committed offset (-1: none) and the partition's end
   * (high watermark). Lets the connector tell a stalled consumer from an idle one.
   * @default none (no stall watchdog)
   */
  offsetsOf?(topic: string): Promise<readonly { partition: number; committed: number; end: number }[]>;
  /** Leaves the group and disconnects. Commits nothing by itself. */
  stop(): Promise<void>;
}

/** Makes a driver per session; `logger` is the source's (route the client's logs there). */
export type KafkaDriverFactory = (options: DriverConsumerOptions, logger: Logger) => KafkaDriver;
