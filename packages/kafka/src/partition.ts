import { attemptOf, HEADERS, OffsetTracker, type Delivery } from '@rxq/core';
import { wakeOrTimeout } from '@rxq/core/kit';
import type { HeaderValue, KafkaRecord, PartitionOffset } from './driver.js';

/**
 * One assignment of one partition to a session: a new one per generation (epoch), so that an ack
 * arriving after the partition moved on finds `live` false and commits nothing.
 */
export class PartitionState {
  readonly tracker = new OffsetTracker();
  /** The last offset committed for this assignment (at first: where its first fetch started); -1 before any. */
  committed = -1;
  /** Owned by this session in the current generation. */
  live = true;
  /** A rebalance is under way: emit nothing more; settled offsets may still be committed. */
  revoking = false;
  /** A seek by timestamp is being looked up: records fetched meanwhile are dropped. */
  seeking = false;
  /** The first offset dropped while seeking: where to go back to if the lookup fails. */
  droppedFrom: string | undefined;
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

  /** Resolves true after `ms`, or false at once when this assignment is revoked or cancelled. */
  delay(ms: number): Promise<boolean> {
    if (!this.live || this.revoking) return Promise.resolve(false);
    let cancel!: () => void;
    return wakeOrTimeout(
      ms,
      (wake) => {
        cancel = wake;
        this.delayed.add(cancel);
      },
      () => this.delayed.delete(cancel),
    ).then((cancelled) => {
      this.delayed.delete(cancel);
      return !cancelled;
    });
  }

  /** Cancels delayed resends: their originals stay unsettled and are delivered again. */
  cancelDelayed(): void {
    for (const cancel of [...this.delayed]) cancel();
    this.delayed.clear();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder();
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_PAIRS: readonly KafkaHeader[] = Object.freeze([]);

/** One header as the broker delivered it: its name and its value's bytes (null: no value). */
export type KafkaHeader = readonly [name: string, value: Buffer | null];

/**
 * What Kafka delivered beside the body, lossless: `m.transport` of a Kafka message (via its
 * delivery). Copies (resend, dead letter) are built from the same raw record.
 */
export interface KafkaTransport {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The key's bytes, or null for a record without key. */
  readonly key: Buffer | null;
  /** The value's bytes, or null for a tombstone. */
  readonly value: Buffer | null;
  /**
   * Every header in record order per name, values byte for byte, a repeated name once per value.
   * (kafkajs groups the values of a repeated name, so names interleaved as a, b, a come as a, a, b.)
   */
  readonly headers: readonly KafkaHeader[];
  /** The record's timestamp, ms since the epoch. */
  readonly timestamp: number;
}

const asBuffer = (v: Uint8Array | string): Buffer =>
  typeof v === 'string'
    ? Buffer.from(v, 'utf8')
    : Buffer.isBuffer(v)
      ? v
      : Buffer.from(v.buffer, v.byteOffset, v.byteLength);

function text(v: Uint8Array | string | null): string | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string') return v;
  try {
    return utf8.decode(v);
  } catch {
    return undefined; // not UTF-8: only in `transport.headers`
  }
}

/**
 * Header values as text: each value that is valid UTF-8, exactly; for a repeated name the last such
 * value. Values that are not UTF-8 (or null) are left out: they are in `transport.headers`.
 */
function headerText(headers: Readonly<Record<string, HeaderValue>> | undefined): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  // for...in rather than Object.keys: most records have no headers, and then nothing is allocated.
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? (v as readonly (Uint8Array | string | null)[]) : [v as Uint8Array | string | null];
    for (let i = list.length - 1; i >= 0; i--) {
      const t = text(list[i] ?? null);
      if (t !== undefined) {
        (out ??= {})[name] = t;
        break;
      }
    }
  }
  return out ?? NO_HEADERS;
}

function headerPairs(headers: Readonly<Record<string, HeaderValue>> | undefined): readonly KafkaHeader[] {
  let out: KafkaHeader[] | undefined;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? (v as readonly (Uint8Array | string | null)[]) : [v as Uint8Array | string | null];
    for (const item of list) (out ??= []).push([name, item === null ? null : asBuffer(item)]);
  }
  return out ?? NO_PAIRS;
}

/**
 * A Kafka record handed to `fromQueue`: the connector's {@link Delivery} with its assignment.
 * Id (`topic:partition:offset`), key, headers and `transport` are made when first read, so a
 * message nobody inspects costs little. Users see it through `Message` (`m.partition`, `m.offset`,
 * `m.key`); settling it is `fromQueue`'s business.
 *
 * `headers` shows header values as text where they are valid UTF-8 (the last value of a repeated
 * name); `transport.headers` has every value's bytes. `key` is the key as UTF-8 text (lossy where
 * it is not UTF-8); `transport.key` has its bytes.
 *
 * @example
 * source.subscribe((m) => console.log(m.id, m.partition, m.offset, m.key, m.attempt));
 */
export class KafkaDelivery implements Delivery {
  readonly attempt: number;
  /** Finished: settled, released or dropped; credit given back. */
  done = false;
  private text: Readonly<Record<string, string>> | undefined;
  private raw: KafkaTransport | undefined;

  constructor(
    readonly state: PartitionState,
    readonly record: KafkaRecord,
    /** The offset as a number, for the offset tracker (parsed once). */
    readonly position: number,
  ) {
    const h = record.headers;
    this.attempt = h && h[HEADERS.attempt] !== undefined ? attemptOf(this.headers) : 1;
  }

  get id(): string {
    return `${this.state.topic}:${this.state.partition}:${this.record.offset}`;
  }
  get source(): string {
    return this.state.topic;
  }
  get partition(): number {
    return this.state.partition;
  }
  get offset(): string {
    return this.record.offset;
  }
  get payload(): Uint8Array | null {
    return this.record.value;
  }
  get timestamp(): number {
    return Number(this.record.timestamp);
  }
  get headers(): Readonly<Record<string, string>> {
    return (this.text ??= headerText(this.record.headers));
  }
  get key(): string | undefined {
    const k = this.record.key;
    return k === null || k === undefined ? undefined : lossy.decode(k);
  }
  /** The key as bytes, for copies (resend, dead letter) that keep the partitioning. */
  get rawKey(): Uint8Array | null {
    return this.record.key ?? null;
  }
  /** Kafka's own view of the record: raw key, value and headers. */
  get transport(): KafkaTransport {
    const r = this.record;
    return (this.raw ??= {
      topic: this.state.topic,
      partition: this.state.partition,
      offset: r.offset,
      key: r.key === null || r.key === undefined ? null : asBuffer(r.key),
      value: r.value === null ? null : asBuffer(r.value),
      headers: headerPairs(r.headers),
      timestamp: Number(r.timestamp),
    });
  }
}

/**
 * The {@link KafkaTransport} of a message from a Kafka source: `message.transport` where `Message`
 * carries it, else the Kafka delivery behind the message. `undefined` for a message of another
 * connector.
 *
 * @example
 * const t = kafkaTransport(m); if (t) console.log(t.key, t.headers);
 */
export function kafkaTransport(message: object): KafkaTransport | undefined {
  const m = message as { transport?: unknown; delivery?: unknown };
  if (m.transport !== undefined) return m.transport instanceof Object ? (m.transport as KafkaTransport) : undefined;
  return m.delivery instanceof KafkaDelivery ? m.delivery.transport : undefined;
}
