import { attemptOf, type Delivery } from '@rxq/core';
import type { KafkaRecord, PartitionOffset } from './driver.js';
import { OffsetTracker } from './offsetTracker.js';

/**
 * One assignment of one partition to a session: a new one per generation (epoch), so that an ack
 * arriving after the partition moved on finds `live` false and commits nothing.
 */
export class PartitionState {
  readonly tracker = new OffsetTracker();
  /** The last offset committed (or sent to commit) for this assignment; -1 for none. */
  committed = -1;
  /** Owned by this session in the current generation. */
  live = true;
  /** A rebalance is under way: emit nothing more; settled offsets may still be committed. */
  revoking = false;
  /** A seek by timestamp is being looked up: records fetched meanwhile are dropped. */
  seeking = false;
  /** Emitted deliveries not yet finished. */
  emitted = 0;
  /** Delayed resends waiting; cancelled (original left unsettled) on revoke or close. */
  readonly delayed = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly epoch: number,
  ) {}

  /** The commit this assignment can make now, if it moves forward. */
  nextCommit(): PartitionOffset | undefined {
    const c = this.tracker.committable;
    if (c === undefined || c <= this.committed) return undefined;
    return { topic: this.topic, partition: this.partition, offset: String(c) };
  }

  /** Cancels delayed resends: their originals stay unsettled and are delivered again. */
  cancelDelayed(): void {
    for (const cancel of [...this.delayed]) cancel();
    this.delayed.clear();
  }
}

const utf8 = new TextDecoder();

/** A Kafka record handed to `fromQueue`: the connector's {@link Delivery} with its assignment. */
export class KafkaDelivery implements Delivery {
  readonly id: string;
  readonly payload: Uint8Array | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempt: number;
  readonly source: string;
  readonly key?: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  /** The key as bytes, for copies (resend, dead letter) that keep the partitioning. */
  readonly rawKey: Uint8Array | null;
  /** Finished: settled, released or dropped; credit given back. */
  done = false;

  constructor(
    readonly state: PartitionState,
    record: KafkaRecord,
  ) {
    this.source = state.topic;
    this.partition = state.partition;
    this.offset = record.offset;
    this.id = `${state.topic}:${state.partition}:${record.offset}`;
    this.payload = record.value;
    this.headers = record.headers;
    this.attempt = attemptOf(record.headers);
    this.rawKey = record.key;
    if (record.key !== null) this.key = utf8.decode(record.key);
    this.timestamp = record.timestamp;
  }
}
