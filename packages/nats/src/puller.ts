import { Fifo, Wakeup } from '@rxq/core/kit';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

/** What a {@link Puller} needs from its session. */
export interface PullerOwner {
  /** A pull request failed: the connection or the consumer is gone. */
  failed(error: unknown): void;
}

/**
 * Pull requests by credit. The invariant: messages buffered here + messages requested and not yet
 * delivered ≤ the credit of the last `receive`, so that with what the source holds nothing exceeds
 * `maxInFlight` (JetStream counts all of them as ack-pending).
 *
 * One pull request is open at a time, so that messages arrive in the consumer's order (two open
 * requests are filled in order by the server but read from two inboxes, which may interleave). A
 * request still open has room only when the consumer had nothing more to send, so a second one
 * would not bring anything sooner; when it is filled, the next asks for the credit then free.
 */
export class Puller {
  private readonly buffer = new Fifo<JsMsg>();
  /** Requested and not yet delivered. */
  private requested = 0;
  private readonly fetches = new Set<ConsumerMessages>();
  /** Wakes a receive waiting for the first message of an open request. */
  private readonly arrived = new Wakeup();
  private open = true;
  private closed = false;
  private readonly threshold: number;

  constructor(
    private readonly consumer: Consumer,
    private readonly expiresMs: number,
    maxInFlight: number,
    private readonly owner: PullerOwner,
  ) {
    this.threshold = Math.max(1, Math.floor(maxInFlight / 4));
  }

  /** Up to `max` messages: what is buffered at once, else the first to arrive, else none at expiry. */
  async receive(max: number): Promise<JsMsg[]> {
    if (this.open && this.requested === 0) {
      const want = max - this.buffer.size;
      if (want >= this.threshold || (want > 0 && this.buffer.size === 0)) this.pull(want);
    }
    if (this.buffer.size === 0 && this.open && this.requested > 0) await this.arrived.wait();
    return this.take(max);
  }

  /** Stops asking for more and ends a waiting receive; open pull requests are stopped at `close`. */
  stop(): void {
    this.open = false;
    this.arrived.wake();
  }

  /**
   * Stops the open pull requests (`UNSUB`), waits for `flush` (a round trip: the server has
   * processed the `UNSUB` and what it sent before is here) and a turn of the event loop (the
   * client's iterators hand over what they hold), then gives back (`nak`) everything buffered. In
   * that order, because a message given back while a request of ours is still open on the server
   * would be delivered to it again at once, into an inbox about to go away. What the server sent in
   * the instant between the `UNSUB` and its processing comes back after the ack wait.
   */
  async close(flush: () => Promise<void>): Promise<void> {
    this.stop();
    if (this.fetches.size > 0) {
      for (const f of this.fetches) f.stop();
      await flush().catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.closed = true;
    for (const m of this.take(Infinity)) nakQuietly(m);
  }

  private take(max: number): JsMsg[] {
    const out: JsMsg[] = [];
    while (out.length < max && this.buffer.size > 0) out.push(this.buffer.shift()!);
    return out;
  }

  private pull(n: number): void {
    this.requested += n;
    void this.run(n);
  }

  private async run(n: number): Promise<void> {
    let left = n;
    let fetch: ConsumerMessages | undefined;
    try {
      fetch = await this.consumer.fetch({ max_messages: n, expires: this.expiresMs });
      this.fetches.add(fetch);
      for await (const msg of fetch) {
        left--;
        this.requested--;
        if (this.closed) {
          // Nobody will take it: give it back now rather than after the ack wait.
          nakQuietly(msg);
          continue;
        }
        this.buffer.push(msg);
        this.arrived.wake();
      }
    } catch (error) {
      if (this.open) this.owner.failed(error);
    } finally {
      if (fetch) this.fetches.delete(fetch);
      this.requested -= left;
      this.arrived.wake();
    }
  }
}

function nakQuietly(msg: JsMsg): void {
  try {
    msg.nak();
  } catch {
    // The connection is closed: the server redelivers after the ack wait.
  }
}
