import { attemptOf, HEADERS, OffsetTracker, type Delivery } from '@rxq/core';
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
    return new Promise<boolean>((resolve) => {
      const cancel = (): void => {
        clearTimeout(timer);
        this.delayed.delete(cancel);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.delayed.delete(cancel);
        resolve(true);
      }, ms);
      this.delayed.add(cancel);
    });
  }

  /** Cancels delayed resends: their originals stay unsettled and are delivered again. */
  cancelDelayed(): void {
    for (const cancel of [...this.delayed]) cancel();
    this.delayed.clear();
  }
}

const utf8 = new TextDecoder();
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function text(v: HeaderValue): string | undefined {
  if (Array.isArray(v)) return text(v[v.length - 1] as HeaderValue);
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : utf8.decode(v as Uint8Array);
}

/** Header values as text (the last one of a repeated header). */
function headerText(headers: Readonly<Record<string, HeaderValue>> | undefined): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  // for...in rather than Object.keys: most records have no headers, and then nothing is allocated.
  for (const name in headers) {
    const v = text(headers[name]);
    if (v !== undefined) (out ??= {})[name] = v;
  }
  return out ?? NO_HEADERS;
}

/**
 * A Kafka record handed to `fromQueue`: the connector's {@link Delivery} with its assignment.
 * Id (`topic:partition:offset`), key and headers are decoded when first read, so a message nobody
 * inspects costs little. Users see it through `Message` (`m.partition`, `m.offset`, `m.key`);
 * settling it is `fromQueue`'s business.
 *
 * @example
 * source.subscribe((m) => console.log(m.id, m.partition, m.offset, m.key, m.attempt));
 */
export class KafkaDelivery implements Delivery {
  readonly attempt: number;
  /** Finished: settled, released or dropped; credit given back. */
  done = false;
  private text: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly state: PartitionState,
    private readonly record: KafkaRecord,
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
    return k === null || k === undefined ? undefined : utf8.decode(k);
  }
  /** The key as bytes, for copies (resend, dead letter) that keep the partitioning. */
  get rawKey(): Uint8Array | null {
    return this.record.key ?? null;
  }
}
