import { InvalidOptionError, json, type Codec } from '@rxq/core';
import { connect, type ConfirmChannel, type Options } from 'amqplib';
import { describeConnection } from './connection.js';
import { amqpError } from './errors.js';
import { isConnection, type AmqpConnectionOption } from './options.js';

/** Options of {@link publish} and {@link publishAll}. */
export interface PublishOptions {
  /** Headers of every message (values as AMQP encodes them). @default none */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Delivery mode 2: the broker writes the message to disk in a durable queue. @default true */
  readonly persistent?: boolean;
  /** Encodes bodies that are not bytes (bytes are sent as they are). @default json */
  readonly codec?: Codec<unknown>;
  /** The exchange to publish to; the queue name is then the routing key. @default '' (the default exchange) */
  readonly exchange?: string;
  /** `publishAll` waits for the broker's confirms after this many messages. @default 1_000 */
  readonly maxUnconfirmed?: number;
  /** Extra AMQP properties (contentType, messageId, …). @default none */
  readonly properties?: Omit<Options.Publish, 'headers' | 'persistent'>;
}

/**
 * Publishes one message to `queue` with publisher confirms and resolves once the broker has it.
 * Given a URL it opens (and closes) a connection; given a connection it opens a confirm channel
 * on it. Bodies that are bytes go as they are, others through the codec (JSON by default), so a
 * consumer with the same codec reads them back. Rejects with a translated `RxqError` when the
 * broker cannot be reached or refuses the message.
 *
 * @example
 * await publish('amqp://localhost', 'orders', { id: 1 }, { headers: { tenant: 'a' } });
 */
export function publish(
  connection: AmqpConnectionOption,
  queue: string,
  body: unknown,
  options: PublishOptions = {},
): Promise<void> {
  return publishAll(connection, queue, [body], options);
}

/**
 * Publishes many messages to `queue`, in order, with publisher confirms (awaited every
 * `maxUnconfirmed` messages and at the end), honouring the socket's backpressure. Resolves when
 * the broker confirmed them all; rejects if it refused any (some may then have been published).
 *
 * @example
 * await publishAll(connection, 'orders', orders, { persistent: true });
 */
export async function publishAll(
  connection: AmqpConnectionOption,
  queue: string,
  bodies: Iterable<unknown>,
  options: PublishOptions = {},
): Promise<void> {
  const codec = options.codec ?? json;
  const maxUnconfirmed = options.maxUnconfirmed ?? 1_000;
  if (!Number.isInteger(maxUnconfirmed) || maxUnconfirmed < 1)
    throw new InvalidOptionError('maxUnconfirmed', 'an integer ≥ 1', maxUnconfirmed);
  const publishOptions: Options.Publish = { ...options.properties, persistent: options.persistent ?? true };
  if (options.headers) publishOptions.headers = options.headers;
  const exchange = options.exchange ?? '';
  await withConfirmChannel(connection, queue, async (channel) => {
    let unconfirmed = 0;
    for (const body of bodies) {
      const content =
        body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : encode(codec, body);
      if (!channel.publish(exchange, queue, content, publishOptions))
        await new Promise<void>((resolve) => channel.once('drain', resolve));
      if (++unconfirmed >= maxUnconfirmed) {
        await channel.waitForConfirms();
        unconfirmed = 0;
      }
    }
    await channel.waitForConfirms();
  });
}

function encode(codec: Codec<unknown>, body: unknown): Buffer {
  const encoded = codec.encode(body);
  return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : Buffer.from(encoded);
}

async function withConfirmChannel(
  option: AmqpConnectionOption,
  queue: string,
  use: (channel: ConfirmChannel) => Promise<void>,
): Promise<void> {
  const borrowed = isConnection(option) ? option : undefined;
  let model: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    let channel: ConfirmChannel;
    if (borrowed) channel = await borrowed.createConfirmChannel();
    else {
      model = await connect(option as string | Options.Connect);
      model.on('error', () => undefined);
      channel = await model.createConfirmChannel();
    }
    channel.on('error', () => undefined);
    try {
      await use(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  } catch (error) {
    throw amqpError(`publishing to "${queue}" on ${describeConnection(option)}`, error);
  } finally {
    await model?.close().catch(() => undefined);
  }
}
