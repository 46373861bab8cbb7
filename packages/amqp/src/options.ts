import { InvalidOptionError, json, rejectUnknownOptions, type Codec } from '@rxq/core';
import { bool, codecOption, oneOf } from '@rxq/core/kit';
import { name } from './check.js';
import {
  connectionOf,
  connectSettings,
  type AmqpConnectionOption,
  type AmqpConnectOptions,
} from './connectionOption.js';

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

/** Options of {@link amqp}; `T` is the body type of its codec. */
export interface AmqpOptions<T = unknown> extends AmqpConnectOptions {
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
  /** How bodies are decoded (the connector's `defaultCodec`); its type is the bodies' type. @default json */
  readonly codec?: Codec<T>;
  /** Longest a `receive` waits on an idle queue before it reports nothing. @default 1_000 */
  readonly pollMs?: number;
}

/** Validated options with every default filled in. */
export interface AmqpSettings<T = unknown> {
  readonly queue: string;
  readonly connection: AmqpConnectionOption;
  /** amqplib's socket options for a connection rxq opens (TLS material included). */
  readonly socketOptions: Readonly<Record<string, unknown>>;
  readonly assert: boolean;
  readonly queueType: AmqpQueueType;
  readonly durable: boolean;
  readonly queueArguments: Readonly<Record<string, unknown>>;
  readonly exchange: Required<AmqpExchangeOptions> | undefined;
  readonly deadLetterQueue: string;
  readonly delayQueuePrefix: string;
  readonly codec: Codec<T>;
  readonly pollMs: number;
  readonly connectionName: string;
}

const OPTIONS = [
  'connection',
  'assert',
  'queueType',
  'durable',
  'queueArguments',
  'exchange',
  'deadLetterQueue',
  'delayQueuePrefix',
  'codec',
  'pollMs',
  'connectionName',
  'tls',
] as const;
const EXCHANGE_OPTIONS = ['name', 'type', 'bindingKey', 'durable'] as const;
const EXCHANGE_TYPES = ['direct', 'topic', 'fanout', 'headers'];

/** Checks every option (throwing {@link InvalidOptionError} naming it) and fills in defaults. */
export function settingsOf<T>(queue: unknown, options: AmqpOptions<T>): AmqpSettings<T> {
  if (typeof queue !== 'string' || queue.length === 0 || queue.length > 255)
    throw new InvalidOptionError('queue', 'a queue name of 1 to 255 characters', queue);
  rejectUnknownOptions(options, OPTIONS);
  const o = options as Record<string, unknown>;
  const connection = connectionOf(options.connection);
  const queueType = oneOf('queueType', options.queueType, ['classic', 'quorum'], 'classic');
  const durable = bool('durable', o.durable, true);
  if (queueType === 'quorum' && !durable) throw new InvalidOptionError('durable', 'true for a quorum queue', durable);
  const pollMs = options.pollMs ?? 1_000;
  if (typeof pollMs !== 'number' || !(pollMs > 0) || !Number.isFinite(pollMs))
    throw new InvalidOptionError('pollMs', 'a finite number > 0', pollMs);
  const codec = codecOption(options.codec) ?? (json as Codec<T>);
  const queueArguments = options.queueArguments ?? {};
  if (typeof queueArguments !== 'object' || queueArguments === null || Array.isArray(queueArguments))
    throw new InvalidOptionError('queueArguments', 'an object of x- arguments', queueArguments);
  const connect = connectSettings(connection, options, `rxq:${queue}`);
  return {
    queue,
    connection,
    socketOptions: connect.socketOptions,
    assert: bool('assert', o.assert, true),
    queueType,
    durable,
    queueArguments,
    exchange: exchangeOf(queue, options.exchange),
    deadLetterQueue: name('deadLetterQueue', options.deadLetterQueue, `${queue}.dead`),
    delayQueuePrefix: name('delayQueuePrefix', options.delayQueuePrefix, `${queue}.delay.`),
    codec,
    pollMs,
    connectionName: connect.connectionName,
  };
}

function exchangeOf(
  queue: string,
  exchange: AmqpExchangeOptions | undefined,
): Required<AmqpExchangeOptions> | undefined {
  if (exchange === undefined) return undefined;
  if (typeof exchange !== 'object' || exchange === null)
    throw new InvalidOptionError('exchange', 'an object with a name', exchange);
  rejectUnknownOptions(exchange, EXCHANGE_OPTIONS, 'exchange');
  const type = exchange.type ?? 'direct';
  if (!EXCHANGE_TYPES.includes(type)) throw new InvalidOptionError('exchange.type', EXCHANGE_TYPES.join(', '), type);
  return {
    name: name('exchange.name', exchange.name, undefined),
    type,
    bindingKey: exchange.bindingKey ?? queue,
    durable: bool('exchange.durable', exchange.durable, true),
  };
}
