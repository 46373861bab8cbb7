import {
  ConnectionLostError,
  deadLetterHeaders,
  resendHeaders,
  type DeadLetterRequest,
  type OpenContext,
  type ResendRequest,
  type Session,
} from '@rxq/core';
import { PullBuffer } from '@rxq/core/kit';
import type { Channel, ConsumeMessage } from 'amqplib';
import { Acker } from './acker.js';
import { describeConnection, errorFields, lease, type BrokerCursor, type ConnectionLease } from './connection.js';
import { copyOptions, toDelivery, type AmqpDelivery } from './delivery.js';
import { amqpError } from './errors.js';
import type { AmqpSettings } from './options.js';
import { Publisher } from './publisher.js';
import { keepRawHeaders } from './rawHeaders.js';
import { assertMain, Topology } from './topology.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * One connection's consumer: `basic.consume` with `prefetch` = `maxInFlight`, deliveries buffered
 * until `receive` takes them, settlements on the channel that delivered them.
 */
export class AmqpSession implements Session<AmqpDelivery> {
  private lostError: Error | undefined;
  private closed = false;
  private consumerTag: string | undefined;
  /** The `basic.cancel` in progress once the intake stopped. */
  private cancelled: Promise<unknown> | undefined;
  private readonly idPrefix: string;
  private readonly inbox: PullBuffer<AmqpDelivery>;
  private readonly acker: Acker;
  private readonly publisher: Publisher;
  private readonly topology: Topology;

  private constructor(
    private readonly s: AmqpSettings,
    private readonly context: OpenContext,
    private readonly link: ConnectionLease,
    private readonly channel: Channel,
    sessionNumber: number,
    delayQueues: Set<string>,
  ) {
    this.idPrefix = `${sessionNumber}.`;
    this.inbox = new PullBuffer(s.pollMs);
    this.acker = new Acker(channel);
    this.publisher = new Publisher(link.connection, context.logger);
    this.topology = new Topology(s, delayQueues);
  }

  /** Connects, declares, sets the prefetch and starts consuming; rejects with a translated error. */
  static async open(
    s: AmqpSettings,
    context: OpenContext,
    sessionNumber: number,
    delayQueues: Set<string>,
    cursor?: BrokerCursor,
  ): Promise<AmqpSession> {
    let session: AmqpSession | undefined;
    const { logger } = context;
    const link = await lease({
      connection: s.connection,
      socketOptions: s.socketOptions,
      connectionName: s.connectionName,
      logger,
      onClose: (e) => session?.fail(lostError('connection closed', e)),
      ...(cursor ? { cursor } : {}),
    });
    let channel: Channel | undefined;
    try {
      channel = await link.connection.createChannel();
      if (!keepRawHeaders((channel as unknown as { connection?: unknown }).connection))
        logger.warn(
          { broker: describeConnection(s.connection) },
          'amqp: this amqplib does not expose its frames: header types are inferred, copies may change them',
        );
      const opened = new AmqpSession(s, context, link, channel, sessionNumber, delayQueues);
      session = opened;
      let channelError: unknown;
      channel.on('error', (error: unknown) => {
        channelError = error;
        logger.warn({ queue: s.queue, err: errorFields(error) }, 'amqp: consumer channel error');
      });
      channel.on('close', () => opened.fail(lostError('channel closed', channelError)));
      if (s.assert) await assertMain(channel, s);
      await channel.prefetch(context.maxInFlight, false);
      const reply = await channel.consume(s.queue, (m) => opened.onMessage(m), { noAck: false });
      opened.consumerTag = reply.consumerTag;
      logger.info({ queue: s.queue, prefetch: context.maxInFlight }, 'amqp: consuming');
      return opened;
    } catch (error) {
      session?.markClosed();
      await channel?.close().catch(() => undefined);
      await link.release();
      throw amqpError(`consuming from "${s.queue}"`, error, ': declare the queue, or pass assert: true');
    }
  }

  receive(max: number): Promise<readonly AmqpDelivery[]> {
    if (this.lostError) return Promise.reject(this.lostError);
    return this.inbox.receive(max);
  }

  ack(d: AmqpDelivery): void {
    if (d.owner === this) this.acker.ack(d.tag);
  }

  requeue(d: AmqpDelivery): void {
    if (d.owner === this) this.acker.requeue(d.tag);
  }

  async release(ds: readonly AmqpDelivery[]): Promise<void> {
    for (const d of ds) this.requeue(d);
  }

  resend(d: AmqpDelivery, request: ResendRequest): Promise<void> {
    return this.republish(d, resendHeaders(undefined, request), async (channel) =>
      request.delayMs > 0 ? this.topology.delayQueue(channel, request.delayMs) : this.s.queue,
    );
  }

  deadLetter(d: AmqpDelivery, request: DeadLetterRequest): Promise<void> {
    // The copy keeps the original's own headers (copyOptions), without those the broker wrote.
    return this.republish(d, deadLetterHeaders(undefined, request, this.s.queue), (channel) =>
      this.topology.deadLetterQueue(channel),
    );
  }

  /** Cancels the consumer (`basic.cancel`) and ends a waiting receive; acks still go out. */
  stopIntake(): void {
    if (this.cancelled || this.closed) return;
    const tag = this.consumerTag;
    this.cancelled =
      this.lostError === undefined && tag !== undefined ? this.channel.cancel(tag).catch(() => undefined) : RESOLVED;
    this.inbox.end();
  }

  /** Cancels the consumer, flushes pending acks, then closes; the broker requeues the rest. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopIntake();
    this.markClosed();
    await this.cancelled;
    this.acker.flush();
    this.inbox.clear();
    await this.publisher.close();
    await this.channel.close().catch(() => undefined);
    await this.link.release();
  }

  /** Publishes a copy with `headers` (confirmed), then acks the original; requeues it on failure. */
  private async republish(
    d: AmqpDelivery,
    headers: Readonly<Record<string, string>>,
    target: (channel: Channel) => Promise<string>,
  ): Promise<void> {
    if (d.owner !== this || !this.acker.pending(d.tag)) return;
    try {
      const queue = await target(await this.publisher.get());
      await this.publisher.publish(queue, d.payload, copyOptions(d.transport, headers));
    } catch (error) {
      this.acker.requeue(d.tag);
      throw amqpError(`republishing a message of "${this.s.queue}"`, error);
    }
    this.acker.ack(d.tag);
  }

  private onMessage(message: ConsumeMessage | null): void {
    if (message === null) {
      this.context.logger.warn({ queue: this.s.queue }, 'amqp: the broker cancelled the consumer (queue deleted?)');
      this.fail(
        new ConnectionLostError(`amqp: the broker cancelled the consumer of "${this.s.queue}" (queue deleted?)`),
      );
      return;
    }
    if (this.lostError || this.closed) return;
    this.acker.delivered(message.fields.deliveryTag);
    this.inbox.push(toDelivery(message, this.s.queue, this.idPrefix, this));
  }

  private markClosed(): void {
    this.closed = true;
    this.inbox.end();
  }

  /** The channel or connection is gone: end a waiting receive and tell `fromQueue`, once. */
  private fail(error: Error): void {
    if (this.lostError || this.closed) return;
    this.lostError = error;
    this.acker.kill();
    this.inbox.drop();
    this.context.lost(error);
  }
}

function lostError(what: string, cause?: unknown): ConnectionLostError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new ConnectionLostError(`amqp: ${what}${reason}`, cause);
}
