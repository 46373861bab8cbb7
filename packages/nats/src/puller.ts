import { Fifo } from '@rxq/core';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

/** What a {@link Puller} needs from its session. */
export interface PullerOwner {
  /** A pull request failed: the connection or the consumer is gone. */
  failed(error: unknown): void;
}

/**
 * Pull requests by credit. The invariant: messages buffered here + messages requested and not yet
 * delivered ≤ the credit of the last `receive`, so that with what the source holds nothing exceeds
 * `maxInFlight` (JetStream counts all of them as ack-pending). Several pull requests may be open
 * at once when credit comes back while one is still waiting; a small top-up waits until it is worth
 * a request (a quarter of `maxInFlight`) unless nothing at all is requested.
 */
export class Puller {
  private readonly buffer = new Fifo<JsMsg>();
  /** Requested and not yet delivered. */
  private requested = 0;
  private readonly fetches = new Set<ConsumerMessages>();
  private waiter: (() => void) | undefined;
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
    if (this.open) {
      const want = max - this.buffer.size - this.requested;
      if (want >= this.threshold || (want > 0 && this.requested === 0 && this.buffer.size === 0)) this.pull(want);
    }
    if (this.buffer.size === 0 && this.open && this.requested > 0)
      await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.take(max);
  }

  /** Stops asking for more and ends a waiting receive; open pull requests are stopped at `close`. */
  stop(): void {
    this.open = false;
    this.wake();
  }

  /** Stops every open pull request and returns what is buffered (to be given back). */
  close(): JsMsg[] {
    this.stop();
    this.closed = true;
    for (const f of this.fetches) f.stop();
    this.fetches.clear();
    return this.take(Infinity);
  }

  private take(max: number): JsMsg[] {
    const out: JsMsg[] = [];
    while (out.length < max && this.buffer.size > 0) out.push(this.buffer.shift()!);
    return out;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
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
      if (!this.open) fetch.stop();
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
        this.wake();
      }
    } catch (error) {
      if (this.open) this.owner.failed(error);
    } finally {
      if (fetch) this.fetches.delete(fetch);
      this.requested -= left;
      this.wake();
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
