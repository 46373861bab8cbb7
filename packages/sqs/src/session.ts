import { type DeadLetterRequest, type OpenContext, type ResendRequest, type Session } from '@rxq/core';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeadLetters } from './deadLetters.js';
import { toDelivery, type SqsDelivery } from './delivery.js';
import { sqsError } from './errors.js';
import { queueName, type SqsSettings } from './options.js';
import { Receiver } from './receiver.js';
import { Settler } from './settler.js';
import { Visibility } from './visibility.js';

/**
 * One session on a queue: receives by credit, settles in batches of ten, extends the visibility of
 * what it holds.
 */
export class SqsSession implements Session<SqsDelivery> {
  private lostError: Error | undefined;
  private closed = false;
  private readonly receiver: Receiver;
  private readonly settler: Settler;
  private readonly visibility: Visibility | undefined;
  private readonly deadLetters: DeadLetters | undefined;
  private readonly name: string;

  private constructor(
    private readonly s: SqsSettings,
    private readonly context: OpenContext,
    private readonly client: SQSClient,
    private readonly ownClient: boolean,
    private readonly queueUrl: string,
  ) {
    const seconds = Math.ceil(s.visibilityTimeoutMs / 1000);
    this.name = queueName(s.queue);
    this.settler = new Settler(client, queueUrl);
    this.receiver = new Receiver(client, {
      queueUrl,
      waitTimeSeconds: s.waitTimeSeconds,
      visibilityTimeoutSeconds: seconds,
      maxConcurrentReceives: s.maxConcurrentReceives,
      failed: (error) => this.fail(sqsError('receiving messages', error)),
    });
    this.visibility = s.extendVisibility
      ? new Visibility(seconds, (d, secs) => this.settler.changeVisibility(d, secs))
      : undefined;
    this.deadLetters =
      s.deadLetterQueue === 'redrive'
        ? undefined
        : new DeadLetters(client, s.deadLetterQueue, this.name, s.fifo, s.createDeadLetterQueue);
  }

  /** Finds the queue's URL (or checks the URL given); rejects with a translated error. */
  static async open(s: SqsSettings, context: OpenContext): Promise<SqsSession> {
    const client = s.client ?? new SQSClient(s.clientConfig);
    try {
      let url = s.queue;
      if (url.includes('://'))
        await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
      else url = (await client.send(new GetQueueUrlCommand({ QueueName: s.queue }))).QueueUrl ?? s.queue;
      const session = new SqsSession(s, context, client, s.client === undefined, url);
      context.logger.debug({ queue: session.name, queueUrl: url }, 'sqs: receiving');
      return session;
    } catch (error) {
      if (s.client === undefined) client.destroy();
      throw sqsError(`opening queue "${s.queue}"`, error);
    }
  }

  async receive(max: number): Promise<readonly SqsDelivery[]> {
    this.throwIfLost();
    const messages = await this.receiver.receive(max);
    if (messages.length === 0) this.throwIfLost();
    return messages.map((m) => {
      const d = toDelivery(m, this.queueUrl, this.name, this);
      this.visibility?.hold(d);
      return d;
    });
  }

  /** Deleted, ten per `DeleteMessageBatch`. */
  ack(d: SqsDelivery): Promise<void> {
    if (!this.settle(d)) return RESOLVED;
    return this.settler.delete(d);
  }

  /** Visible again at once (`ChangeMessageVisibility 0`). */
  requeue(d: SqsDelivery): Promise<void> {
    if (!this.settle(d)) return RESOLVED;
    return this.settler.changeVisibility(d, 0);
  }

  /** Each visible again at once; SQS counts that as a receive (see the README). */
  async release(ds: readonly SqsDelivery[]): Promise<void> {
    await Promise.all(ds.map((d) => this.requeue(d)));
  }

  /** The same message, visible again after the delay: its receive count is the attempt. */
  async resend(d: SqsDelivery, request: ResendRequest): Promise<void> {
    if (!this.settle(d)) return;
    await this.settler.changeVisibility(d, request.delayMs / 1000);
  }

  /** A copy to the dead-letter queue, then the original deleted; `'redrive'`: visible again for the redrive policy. */
  async deadLetter(d: SqsDelivery, request: DeadLetterRequest): Promise<void> {
    if (!this.settle(d)) return;
    if (!this.deadLetters) return this.settler.changeVisibility(d, 0);
    try {
      await this.deadLetters.send(d, request);
    } catch (error) {
      await this.settler.changeVisibility(d, 0).catch(() => undefined);
      throw sqsError(`dead-lettering a message of "${this.name}"`, error);
    }
    await this.settler.delete(d);
  }

  stopIntake(): void {
    this.receiver.stop();
  }

  /**
   * Waits for the polls in flight (at most `waitTimeSeconds`), gives back what they and the buffer
   * hold, writes pending settlements, destroys the client it made.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const rest = await this.receiver.close();
    this.visibility?.stop();
    const given = rest.map((m) => this.settler.changeVisibility(toDelivery(m, this.queueUrl, this.name, this), 0));
    await Promise.allSettled(given);
    await this.settler.flush().catch(() => undefined);
    if (this.ownClient) this.client.destroy();
  }

  /** Whether `d` is this session's and still held; stops extending it. */
  private settle(d: SqsDelivery): boolean {
    if (d.owner !== this) return false;
    this.visibility?.drop(d);
    return true;
  }

  private throwIfLost(): void {
    if (this.lostError) throw this.lostError;
  }

  private fail(error: Error): void {
    if (this.lostError || this.closed) return;
    this.lostError = error;
    this.receiver.stop();
    this.context.lost(error);
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
