import { BatchWriter, type BatchBuffer } from '@rxq/core/kit';
import type { Channel, Message } from 'amqplib';

/** amqplib reads only `fields.deliveryTag` of the message it acks. */
const tagged = (deliveryTag: number): Message => ({ fields: { deliveryTag } }) as unknown as Message;

/**
 * Settles the deliveries of one consumer channel, batched per turn of the event loop: requeues
 * are sent first (`basic.nack` with requeue), then every ack below the lowest delivery still
 * unsettled goes out as a single `basic.ack` with `multiple`, and the rest one by one. A `multiple`
 * ack never covers a delivery that is not settled, since the lowest unsettled one bounds it.
 *
 * Once the channel has died every call does nothing: the broker redelivers what it never saw.
 */
interface Settlements {
  readonly acks: number[];
  readonly nacks: number[];
}

export class Acker implements BatchBuffer<Settlements> {
  private readonly unsettled = new Set<number>();
  private acks: number[] = [];
  private nacks: number[] = [];
  private low = 1;
  private high = 0;
  private dead = false;
  /** Sends once per event-loop turn (channel writes are synchronous: one at a time is all there is). */
  private readonly writer = new BatchWriter<Settlements>({
    buffer: this,
    write: async (batch) => this.send(batch),
    maxSize: Infinity,
  });

  constructor(private readonly channel: Channel) {}

  get size(): number {
    return this.dead ? 0 : this.acks.length + this.nacks.length;
  }

  cut(): Settlements {
    const batch = { acks: this.acks, nacks: this.nacks };
    this.acks = [];
    this.nacks = [];
    return batch;
  }

  /** Records a delivery; tags on a channel rise by one per delivery. */
  delivered(tag: number): void {
    this.unsettled.add(tag);
    if (tag > this.high) this.high = tag;
  }

  /** Whether the delivery is still waiting for its settlement. */
  pending(tag: number): boolean {
    return !this.dead && this.unsettled.has(tag);
  }

  /** Queues a `basic.ack`. */
  ack(tag: number): void {
    if (this.dead || !this.unsettled.delete(tag)) return;
    this.acks.push(tag);
    void this.writer.added();
  }

  /** Queues a `basic.nack` with requeue. */
  requeue(tag: number): void {
    if (this.dead || !this.unsettled.delete(tag)) return;
    this.nacks.push(tag);
    void this.writer.added();
  }

  /** The channel is gone: forget everything (the broker requeues it). */
  kill(): void {
    this.dead = true;
    this.unsettled.clear();
    this.acks = [];
    this.nacks = [];
  }

  /** Sends what is queued now. */
  flush(): void {
    if (!this.dead) this.send(this.cut());
  }

  private send({ acks, nacks }: Settlements): void {
    if (this.dead) return;
    try {
      for (const tag of nacks) this.channel.nack(tagged(tag), false, true);
      const { unsettled } = this;
      let low = this.low;
      while (low <= this.high && !unsettled.has(low)) low++;
      this.low = low;
      let upTo = 0;
      for (const tag of acks) {
        if (tag < low) {
          if (tag > upTo) upTo = tag;
        } else this.channel.ack(tagged(tag), false);
      }
      if (upTo > 0) this.channel.ack(tagged(upTo), true);
    } catch {
      // The channel closed under us (IllegalOperationError): the broker will redeliver.
      this.kill();
    }
  }
}
