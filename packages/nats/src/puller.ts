import { Fifo, Wakeup } from '@rxq/core/kit';
import type { Consumer, ConsumerMessages, FetchOptions, JsMsg } from '@nats-io/jetstream';

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
 * The next pull request goes out while the open one still waits for its last messages (fewer than a
 * quarter of `maxInFlight`), so that a message published as one request is filled does not wait
 * for the next to reach the server. Messages are taken in the callback of each request, called in
 * the order they come off the connection: the server fills open requests one after another, so
 * the consumer's order holds across them (two iterators, read in turns, could interleave).
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
    if (this.open && this.requested < this.threshold) {
      const want = max - this.buffer.size - this.requested;
      if (want >= this.threshold || (want > 0 && this.buffer.size === 0 && this.requested === 0)) this.pull(want);
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
    const options: FetchOptions & { callback: (msg: JsMsg) => void } = {
      max_messages: n,
      expires: this.expiresMs,
      callback: (msg) => {
        left--;
        this.requested--;
        if (this.closed) {
          // Nobody will take it: give it back now rather than after the ack wait.
          nakQuietly(msg);
          return;
        }
        this.buffer.push(msg);
        this.arrived.wake();
      },
    };
    try {
      fetch = await this.consumer.fetch(options);
      this.fetches.add(fetch);
      const ended = await fetch.closed();
      if (ended instanceof Error) throw ended;
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
