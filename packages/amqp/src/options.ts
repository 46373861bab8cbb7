import { InvalidOptionError, json, type Codec } from '@rxq/core';
import type { Channel, ChannelModel, ConfirmChannel, Options } from 'amqplib';

/**
 * A connection the user already has: an amqplib `ChannelModel` (from `connect`) or a recovering
 * one (from `connect(url, { recovery })`). rxq opens its own channels on it and never closes it.
 */
export interface AmqpConnection {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Where rxq connects: a URL, amqplib's connect options, or an open connection. */
export type AmqpConnectionOption = string | Options.Connect | AmqpConnection | ChannelModel;

/** The kinds of queue the connector declares. */
export type AmqpQueueType = 'classic' | 'quorum';

/** An exchange to declare and bind the queue to. */
export interface AmqpExchangeOptions {
  /** The exchange's name. */
  readonly name: string;
  /** @default 'direct' */
  readonly type?: 'direct' | 'topic' | 'fanout' | 'headers';
  /** The binding key (the routing key pattern) of the queue's binding. @default the queue name */
  readonly bindingKey?: string;
  /** @default true */
  readonly durable?: boolean;
}

/** Options of {@link amqp}. */
export interface AmqpOptions {
  /** An AMQP URL, connect options, or an open amqplib connection. @default 'amqp://localhost' */
  readonly connection?: AmqpConnectionOption;
  /** Declare the queue (and exchange, binding) on every connect. @default true */
  readonly assert?: boolean;
  /** `classic` or `quorum` (quorum queues are always durable). @default 'classic' */
  readonly queueType?: AmqpQueueType;
  /** Declare the queue durable. @default true */
  readonly durable?: boolean;
  /** Extra `x-` arguments for the queue's declaration. @default {} */
  readonly queueArguments?: Readonly<Record<string, unknown>>;
  /** An exchange to declare and bind the queue to. @default none (publish to the queue by name) */
  readonly exchange?: AmqpExchangeOptions;
  /** The dead-letter queue, declared on the first dead letter. @default `<queue>.dead` */
  readonly deadLetterQueue?: string;
  /** Prefix of the per-delay TTL queues used by delayed resends. @default `<queue>.delay.` */
  readonly delayQueuePrefix?: string;
  /** How bodies are decoded (the connector's `defaultCodec`). @default json */
  readonly codec?: Codec<unknown>;
  /** Longest a `receive` waits on an idle queue before it reports nothing. @default 1_000 */
  readonly pollMs?: number;
  /** The `connection_name` client property, shown by `rabbitmqctl list_connections`. @default `rxq:<queue>` */
  readonly connectionName?: string;
}

/** Validated options with every default filled in. */
export interface AmqpSettings {
  readonly queue: string;
  readonly connection: AmqpConnectionOption;
  readonly assert: boolean;
  readonly queueType: AmqpQueueType;
  readonly durable: boolean;
  readonly queueArguments: Readonly<Record<string, unknown>>;
  readonly exchange: Required<AmqpExchangeOptions> | undefined;
  readonly deadLetterQueue: string;
  readonly delayQueuePrefix: string;
  readonly codec: Codec<unknown>;
  readonly pollMs: number;
  readonly connectionName: string;
}

const EXCHANGE_TYPES = ['direct', 'topic', 'fanout', 'headers'];

/** Checks every option (throwing {@link InvalidOptionError} naming it) and fills in defaults. */
export function settingsOf(queue: unknown, options: AmqpOptions): AmqpSettings {
  if (typeof queue !== 'string' || queue.length === 0 || queue.length > 255)
    throw new InvalidOptionError('queue', 'a queue name of 1 to 255 characters', queue);
  const o = options as Record<string, unknown>;
  const connection = options.connection ?? 'amqp://localhost';
  if (!isConnectionOption(connection))
    throw new InvalidOptionError('connection', 'an AMQP URL, connect options or an amqplib connection', connection);
  const queueType = options.queueType ?? 'classic';
  if (queueType !== 'classic' && queueType !== 'quorum')
    throw new InvalidOptionError('queueType', "'classic' or 'quorum'", queueType);
  const durable = bool('durable', o.durable, true);
  if (queueType === 'quorum' && !durable) throw new InvalidOptionError('durable', 'true for a quorum queue', durable);
  const pollMs = options.pollMs ?? 1_000;
  if (typeof pollMs !== 'number' || !(pollMs > 0) || !Number.isFinite(pollMs))
    throw new InvalidOptionError('pollMs', 'a finite number > 0', pollMs);
  const codec = options.codec ?? json;
  if (typeof codec?.decode !== 'function') throw new InvalidOptionError('codec', 'a Codec with decode()', codec);
  const queueArguments = options.queueArguments ?? {};
  if (typeof queueArguments !== 'object' || queueArguments === null)
    throw new InvalidOptionError('queueArguments', 'an object of x- arguments', queueArguments);
  return {
    queue,
    connection,
    assert: bool('assert', o.assert, true),
    queueType,
    durable,
    queueArguments,
    exchange: exchangeOf(queue, options.exchange),
    deadLetterQueue: name('deadLetterQueue', options.deadLetterQueue, `${queue}.dead`),
    delayQueuePrefix: name('delayQueuePrefix', options.delayQueuePrefix, `${queue}.delay.`),
    codec,
    pollMs,
    connectionName: name('connectionName', options.connectionName, `rxq:${queue}`),
  };
}

function exchangeOf(
  queue: string,
  exchange: AmqpExchangeOptions | undefined,
): Required<AmqpExchangeOptions> | undefined {
  if (exchange === undefined) return undefined;
  if (typeof exchange !== 'object' || exchange === null)
    throw new InvalidOptionError('exchange', 'an object with a name', exchange);
  const type = exchange.type ?? 'direct';
  if (!EXCHANGE_TYPES.includes(type)) throw new InvalidOptionError('exchange.type', EXCHANGE_TYPES.join(', '), type);
  return {
    name: name('exchange.name', exchange.name, undefined),
    type,
    bindingKey: exchange.bindingKey ?? queue,
    durable: bool('exchange.durable', exchange.durable, true),
  };
}

function bool(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw new InvalidOptionError(option, 'a boolean', value);
}

function name(option: string, value: unknown, fallback: string | undefined): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && value.length > 0 && value.length <= 255) return value;
  throw new InvalidOptionError(option, 'a name of 1 to 255 characters', value);
}

function isConnectionOption(value: unknown): value is AmqpConnectionOption {
  return typeof value === 'string' || (typeof value === 'object' && value !== null);
}

/** Whether the option is an open connection (rather than a way to open one). */
export function isConnection(value: AmqpConnectionOption): value is AmqpConnection {
  return typeof value === 'object' && typeof (value as Partial<AmqpConnection>).createChannel === 'function';
}
