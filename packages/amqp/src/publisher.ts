import { NotFoundError, type Logger } from '@rxq/core';
import type { ConfirmChannel, Message, Options } from 'amqplib';
import { errorFields } from './connection.js';
import type { AmqpConnection } from './connectionOption.js';

interface InFlight {
  readonly queue: string;
  readonly content: Buffer;
  returned: boolean;
}

/**
 * A session's confirm channel for resends and dead letters, opened on first use and opened again
 * after it closed (a publish to a missing exchange closes it). `publish` resolves when the broker
 * confirms, and rejects on a nack, a closed channel, or a message no queue took: copies are
 * published `mandatory`, and the broker returns an unroutable one before it confirms it.
 */
export class Publisher {
  private channel: Promise<ConfirmChannel> | undefined;
  private readonly inFlight = new Set<InFlight>();
  /** Why the channel closed, for publishes rejected with a bare "channel closed". */
  private lastError: unknown;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly logger: Logger,
  ) {}

  /** The confirm channel, for declarations before a publish. */
  get(): Promise<ConfirmChannel> {
    if (this.channel) return this.channel;
    const opening = this.connection.createConfirmChannel().then((channel) => {
      this.lastError = undefined;
      channel.on('error', (error: unknown) => {
        this.lastError = error;
        this.logger.warn(
          { err: errorFields(error) },
          'amqp: the channel of resends and dead letters closed with an error',
        );
      });
      channel.on('return', (message: Message) => this.onReturn(message));
      channel.on('close', () => {
        if (this.channel === opening) this.channel = undefined;
      });
      return channel;
    });
    opening.catch(() => {
      if (this.channel === opening) this.channel = undefined;
    });
    this.channel = opening;
    return opening;
  }

  /** Publishes to `queue` through the default exchange and waits for the broker's confirm. */
  async publish(queue: string, content: Buffer, options: Options.Publish): Promise<void> {
    const channel = await this.get();
    const entry: InFlight = { queue, content, returned: false };
    this.inFlight.add(entry);
    try {
      await new Promise<void>((resolve, reject) => {
        channel.sendToQueue(queue, content, { ...options, mandatory: true }, (error: unknown) => {
          if (error !== null && error !== undefined)
            reject(
              this.lastError instanceof Error
                ? this.lastError
                : error instanceof Error
                  ? error
                  : new Error('the broker refused the publish (basic.nack)'),
            );
          else if (entry.returned)
            reject(
              new NotFoundError(
                `amqp: no queue "${queue}" took the copy (returned unroutable): declare it, or let rxq declare it (assert: true)`,
              ),
            );
          else resolve();
        });
      });
    } finally {
      this.inFlight.delete(entry);
    }
  }

  /** Closes the channel if open; never rejects. */
  async close(): Promise<void> {
    const opening = this.channel;
    this.channel = undefined;
    if (!opening) return;
    try {
      await (await opening).close();
    } catch {
      // Already closed with its connection.
    }
  }

  private onReturn(message: Message): void {
    const queue = message.fields.routingKey;
    this.logger.warn(
      { queue, replyCode: (message.fields as { replyCode?: unknown }).replyCode },
      'amqp: the broker returned a copy no queue took',
    );
    let match: InFlight | undefined;
    for (const entry of this.inFlight) {
      if (entry.returned || entry.queue !== queue) continue;
      if (entry.content.equals(message.content)) {
        match = entry;
        break;
      }
      match ??= entry;
    }
    if (match) match.returned = true;
  }
}
