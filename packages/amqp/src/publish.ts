import { InvalidOptionError, json, NotFoundError, publishHeaders, rejectUnknownOptions, type Codec } from '@rxq/core';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { BrokerCursor, connectAny, describeConnection } from './connection.js';
import { amqpError } from './errors.js';
import {
  connectionOf,
  connectSettings,
  isConnection,
  type AmqpConnectionOption,
  type AmqpConnectOptions,
} from './connectionOption.js';

/** The AMQP properties a publish may set besides `headers` and `persistent`. */
export type PublishProperties = Omit<Options.Publish, 'headers' | 'persistent' | 'mandatory' | 'CC' | 'BCC'>;

/** Options of {@link publish} and {@link publishMany}; `T` is the type of the bodies the codec encodes. */
export interface PublishOptions<T = unknown> extends AmqpConnectOptions {
  /** Headers of every message (values as amqplib encodes them; `{ '!': 'int32', value }` for a type). @default none */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Delivery mode 2: the broker writes the message to disk in a durable queue. @default true */
  readonly persistent?: boolean;
  /** Encodes bodies that are not bytes (bytes are sent as they are). @default json */
  readonly codec?: Codec<T>;
  /** The exchange to publish to; the queue name is then the routing key. @default '' (the default exchange) */
  readonly exchange?: string;
  /** `publishMany` waits for the broker's confirms after this many messages. @default 1_000 */
  readonly maxUnconfirmed?: number;
  /** Extra AMQP properties (contentType, messageId, …). @default none */
  readonly properties?: PublishProperties;
}

const OPTIONS = [
  'headers',
  'persistent',
  'codec',
  'exchange',
  'maxUnconfirmed',
  'properties',
  'tls',
  'connectionName',
] as const;
const PROPERTIES = [
  'expiration',
  'userId',
  'priority',
  'deliveryMode',
  'contentType',
  'contentEncoding',
  'correlationId',
  'replyTo',
  'messageId',
  'timestamp',
  'type',
  'appId',
] as const;

/**
 * Publishes one message to `queue` and resolves once the broker has confirmed it into a queue.
 * `connection` is a URL (a connection is opened and closed for the call; `amqps://` with
 * `options.tls`) or an open amqplib connection (a confirm channel is opened on it, and it is left
 * open). Bodies that are bytes go as they are, others through the codec (JSON by default).
 *
 * The message is published `mandatory`: if no queue takes it (the queue does not exist, or no
 * binding of `exchange` matches), the broker returns it and the promise rejects with a
 * {@link NotFoundError}. It never resolves for a message that was dropped. rxq does not declare
 * the queue: a misspelt name would otherwise create a queue nobody consumes.
 *
 * @example
 * await publish('amqp://localhost', 'orders', { id: 1 }, { headers: { tenant: 'a' } });
 */
export function publish<T = unknown>(
  connection: AmqpConnectionOption,
  queue: string,
  body: T | Uint8Array,
  options: PublishOptions<T> = {},
): Promise<void> {
  return publishMany(connection, queue, [body], options);
}

/**
 * Publishes many messages to `queue`, in order, `mandatory` with publisher confirms (awaited every
 * `maxUnconfirmed` messages and at the end), honouring the socket's backpressure. Resolves when the
 * broker confirmed them all into a queue. Rejects with a {@link NotFoundError} saying how many were
 * returned unroutable (every other message of the call was confirmed), or with the classified
 * error of a refused publish or a lost connection (some may then have been published).
 *
 * @example
 * await publishMany(connection, 'orders', orders, { persistent: true });
 */
export async function publishMany<T = unknown>(
  connection: AmqpConnectionOption,
  queue: string,
  bodies: Iterable<T | Uint8Array>,
  options: PublishOptions<T> = {},
): Promise<void> {
  rejectUnknownOptions(options, OPTIONS);
  if (options.properties !== undefined) rejectUnknownOptions(options.properties, PROPERTIES, 'properties');
  if (typeof queue !== 'string' || queue.length > 255)
    throw new InvalidOptionError('queue', 'a queue name (or routing key) of up to 255 characters', queue);
  const target = connectionOf(connection);
  const connect = connectSettings(target, options, 'rxq:publish');
  const codec = options.codec ?? (json as Codec<T>);
  const maxUnconfirmed = options.maxUnconfirmed ?? 1_000;
  if (!Number.isInteger(maxUnconfirmed) || maxUnconfirmed < 1)
    throw new InvalidOptionError('maxUnconfirmed', 'an integer ≥ 1', maxUnconfirmed);
  const publishOptions: Options.Publish = {
    ...options.properties,
    persistent: options.persistent ?? true,
    mandatory: true,
  };
  // The trace context an instrumentation adds (`publishHeaders`), under the caller's headers.
  const trace = publishHeaders(undefined);
  if (options.headers || trace) publishOptions.headers = { ...trace, ...options.headers };
  const exchange = options.exchange ?? '';
  const where = exchange === '' ? `queue "${queue}"` : `exchange "${exchange}" with routing key "${queue}"`;
  let sent = 0;
  let returned = 0;
  await withConfirmChannel(target, connect, where, async (channel) => {
    channel.on('return', () => returned++);
    let unconfirmed = 0;
    for (const body of bodies) {
      const content =
        body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : encode(codec, body);
      sent++;
      if (!channel.publish(exchange, queue, content, publishOptions))
        await new Promise<void>((resolve) => channel.once('drain', resolve));
      if (++unconfirmed >= maxUnconfirmed) {
        await channel.waitForConfirms();
        unconfirmed = 0;
      }
    }
    // The broker sends basic.return before the basic.ack of the same message: once every
    // confirm is in, every return is too.
    await channel.waitForConfirms();
  });
  if (returned > 0)
    throw new NotFoundError(
      `amqp: ${returned} of ${sent} messages published to ${where} were returned unroutable: ` +
        (exchange === ''
          ? `no queue "${queue}" exists; declare it (or start its consumer) first`
          : `no queue is bound to exchange "${exchange}" for routing key "${queue}"`),
    );
}

/**
 * @deprecated Renamed {@link publishMany} (the same function); `publishAll` will be removed in
 * the next major version.
 */
export const publishAll = publishMany;

function encode<T>(codec: Codec<T>, body: T): Buffer {
  const encoded = codec.encode(body);
  return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : Buffer.from(encoded);
}

async function withConfirmChannel(
  option: AmqpConnectionOption,
  settings: { socketOptions: Readonly<Record<string, unknown>>; connectionName: string },
  where: string,
  use: (channel: ConfirmChannel) => Promise<void>,
): Promise<void> {
  let model: ChannelModel | undefined;
  // A channel the broker closes (a missing exchange: 404) rejects pending confirms with a bare
  // "channel closed"; the reason came as the channel's 'error' event.
  let channelError: unknown;
  try {
    let channel: ConfirmChannel;
    if (isConnection(option)) channel = await option.createConfirmChannel();
    else {
      ({ model } = await connectAny(option, new BrokerCursor(), settings.socketOptions, settings.connectionName));
      model.on('error', () => undefined);
      channel = await model.createConfirmChannel();
    }
    channel.on('error', (error: unknown) => (channelError ??= error));
    try {
      await use(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  } catch (error) {
    throw amqpError(
      `publishing to ${where} on ${describeConnection(option)}`,
      channelError ?? error,
      ': declare it first',
    );
  } finally {
    await model?.close().catch(() => undefined);
  }
}
