import type { ConfirmChannel, Options } from 'amqplib';
import type { AmqpConnection } from './options.js';

/**
 * A session's confirm channel for resends and dead letters, opened on first use and opened again
 * after it closed (a publish to a missing exchange closes it). `publish` resolves when the broker
 * confirms, and rejects on a nack or a closed channel.
 */
export class Publisher {
  private channel: Promise<ConfirmChannel> | undefined;

  constructor(private readonly connection: AmqpConnection) {}

  /** The confirm channel, for declarations before a publish. */
  get(): Promise<ConfirmChannel> {
    if (this.channel) return this.channel;
    const opening = this.connection.createConfirmChannel().then((channel) => {
      channel.on('error', () => undefined);
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
    await new Promise<void>((resolve, reject) => {
      channel.sendToQueue(queue, content, options, (error: unknown) => {
        if (error === null || error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error('the broker refused the publish (basic.nack)'));
      });
    });
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
}
