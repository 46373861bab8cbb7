import { Fifo } from '@rxq/core';
import { ReceiveMessageCommand, type Message as SqsMessage, type SQSClient } from '@aws-sdk/client-sqs';

/** What a {@link Receiver} is told by its session. */
export interface ReceiverSettings {
  readonly queueUrl: string;
  readonly waitTimeSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxConcurrentReceives: number;
  /** A receive failed (the session reports the loss). */
  readonly failed: (error: unknown) => void;
}

/**
 * `ReceiveMessage` calls by credit: messages buffered here + messages asked for by calls in flight
 * ≤ the credit of the last `receive`, so that with what the source holds nothing exceeds
 * `maxInFlight`. Each call asks for up to 10 (the SQS maximum) and long-polls.
 *
 * How many run at once follows the queue: while the last call to end came back with all it asked
 * for (a backlog), up to `maxConcurrentReceives` when the credit allows; once one comes back short
 * (the queue is drained), one. A drained queue needs one waiting poll: more would each take a
 * message or two of every send (the server hands each message to the next waiting poll), so every
 * message would cost its own receive and delete, and each waiting poll slows the queue's sends.
 */
export class Receiver {
  private readonly buffer = new Fifo<SqsMessage>();
  private requested = 0;
  private readonly calls = new Set<AbortController>();
  private readonly pending = new Set<Promise<void>>();
  private waiter: (() => void) | undefined;
  private open = true;
  /** Whether the last call to end came back full: the queue has more, so calls may run at once. */
  private backlog = false;

  constructor(
    private readonly client: SQSClient,
    private readonly s: ReceiverSettings,
  ) {}

  /** Up to `max` messages: what is buffered at once, else the first to arrive, else none after the polls. */
  async receive(max: number): Promise<SqsMessage[]> {
    if (this.open) {
      let want = max - this.buffer.size - this.requested;
      const calls = this.backlog ? this.s.maxConcurrentReceives : 1;
      while (want > 0 && this.calls.size < calls) {
        const n = Math.min(10, want);
        this.call(n);
        want -= n;
      }
    }
    if (this.buffer.size === 0 && this.open && this.requested > 0)
      await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.take(max);
  }

  /** Asks for no more and ends a waiting receive; calls in flight go on (what they bring is kept). */
  stop(): void {
    this.open = false;
    this.wake();
  }

  /**
   * Waits for the calls still polling to end (at most `waitTimeSeconds`), then returns everything
   * buffered, to be given back. A poll is never aborted: the server would still hand a message to
   * it, and that message would stay invisible for a whole visibility timeout.
   */
  async close(): Promise<SqsMessage[]> {
    this.stop();
    await Promise.all(this.pending);
    return this.take(Infinity);
  }

  private take(max: number): SqsMessage[] {
    const out: SqsMessage[] = [];
    while (out.length < max && this.buffer.size > 0) out.push(this.buffer.shift()!);
    return out;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private call(n: number): void {
    this.requested += n;
    const abort = new AbortController();
    this.calls.add(abort);
    const command = new ReceiveMessageCommand({
      QueueUrl: this.s.queueUrl,
      MaxNumberOfMessages: n,
      WaitTimeSeconds: this.s.waitTimeSeconds,
      VisibilityTimeout: this.s.visibilityTimeoutSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    });
    const call: Promise<void> = this.client
      .send(command, { abortSignal: abort.signal })
      .then((reply) => {
        const messages = reply.Messages ?? [];
        for (const m of messages) this.buffer.push(m);
        this.backlog = messages.length >= n;
      })
      .catch((error: unknown) => {
        if (!abort.signal.aborted && this.open) this.s.failed(error);
      })
      .finally(() => {
        this.requested -= n;
        this.calls.delete(abort);
        this.pending.delete(call);
        this.wake();
      });
    this.pending.add(call);
  }
}
