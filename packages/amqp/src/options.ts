import { InvalidOptionError, json, rejectUnknownOptions, type Codec } from '@rxq/core';
import type { Channel, ConfirmChannel, Options } from 'amqplib';
import { tlsOf, type AmqpTlsOptions } from './tls.js';

/**
 * A connection the user already has, recognised by its shape (any amqplib ≥ 2 `ChannelModel`, or
 * a recovering one from `connect(url, { recovery })`), not by its class. rxq opens its own
 * channels on it and never closes it.
 */
export interface AmqpConnection {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Where rxq connects: an `amqp://` or `amqps://` URL, amqplib's connect options, or an open connection. */
export type AmqpConnectionOption = string | Options.Connect | AmqpConnection;

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

/** How rxq opens its own connections (URL or connect options): the parts a passed connection already has. */
export interface AmqpConnectOptions {
  /**
   * TLS for an `amqps://` connection: client certificate, key and its passphrase, CAs. Secrets
   * never appear in errors or logs. Not allowed with a passed connection or an `amqp://` URL.
   * @default none (amqps:// then verifies the broker against Node's default CAs)
   */
  readonly tls?: AmqpTlsOptions;
  /** The `connection_name` client property, shown by `rabbitmqctl list_connections`. Not allowed with a passed connection. @default `rxq:<queue>` (publish: `rxq:publish`) */
  readonly connectionName?: string;
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
/** amqplib's `Options.Connect`. */
const CONNECT_OPTIONS = [
  'protocol',
  'hostname',
  'port',
  'username',
  'password',
  'locale',
  'frameMax',
  'channelMax',
  'heartbeat',
  'vhost',
  'maxFrameSize',
] as const;
const EXCHANGE_TYPES = ['direct', 'topic', 'fanout', 'headers'];

/** Checks every option (throwing {@link InvalidOptionError} naming it) and fills in defaults. */
export function settingsOf<T>(queue: unknown, options: AmqpOptions<T>): AmqpSettings<T> {
  if (typeof queue !== 'string' || queue.length === 0 || queue.length > 255)
    throw new InvalidOptionError('queue', 'a queue name of 1 to 255 characters', queue);
  rejectUnknownOptions(options, OPTIONS);
  const o = options as Record<string, unknown>;
  const connection = connectionOf(options.connection);
  const queueType = options.queueType ?? 'classic';
  if (queueType !== 'classic' && queueType !== 'quorum')
    throw new InvalidOptionError('queueType', "'classic' or 'quorum'", queueType);
  const durable = bool('durable', o.durable, true);
  if (queueType === 'quorum' && !durable) throw new InvalidOptionError('durable', 'true for a quorum queue', durable);
  const pollMs = options.pollMs ?? 1_000;
  if (typeof pollMs !== 'number' || !(pollMs > 0) || !Number.isFinite(pollMs))
    throw new InvalidOptionError('pollMs', 'a finite number > 0', pollMs);
  const codec = options.codec ?? (json as Codec<T>);
  if (typeof codec?.decode !== 'function') throw new InvalidOptionError('codec', 'a Codec with decode()', codec);
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

/** Checks the `connection` option: a URL, connect options (keys checked), or a connection by shape. */
export function connectionOf(value: unknown, option = 'connection'): AmqpConnectionOption {
  const connection = value ?? 'amqp://localhost';
  if (typeof connection === 'string') {
    if (!/^amqps?:\/\//i.test(connection))
      throw new InvalidOptionError(option, 'an amqp:// or amqps:// URL', connection.split('@').pop());
    return connection;
  }
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection))
    throw new InvalidOptionError(option, 'an AMQP URL, connect options or an amqplib connection', connection);
  if (looksLikeConnection(connection)) {
    for (const method of ['createChannel', 'createConfirmChannel', 'on', 'removeListener'] as const)
      if (typeof (connection as Record<string, unknown>)[method] !== 'function')
        throw new InvalidOptionError(
          option,
          `an amqplib connection (ChannelModel) with ${method}(); got an object without it`,
          connection,
        );
    return connection;
  }
  rejectUnknownOptions(connection, CONNECT_OPTIONS, option);
  return connection;
}

/**
 * `tls` and `connectionName` checked against the connection they would apply to: both are an
 * error with a passed connection (rxq does not open it), `tls` also with a plain `amqp://` URL.
 */
export function connectSettings(
  connection: AmqpConnectionOption,
  options: AmqpConnectOptions,
  defaultName: string,
): { socketOptions: Readonly<Record<string, unknown>>; connectionName: string } {
  if (isConnection(connection)) {
    const given = (['tls', 'connectionName'] as const).filter((k) => options[k] !== undefined);
    if (given.length > 0)
      throw new InvalidOptionError(
        given.join(', '),
        `nothing with a connection you pass (rxq does not open it): set ${given.join(' and ')} where you open the connection`,
        options[given[0]!],
      );
    return { socketOptions: {}, connectionName: defaultName };
  }
  const secure =
    typeof connection === 'string' ? /^amqps:/i.test(connection) : /^amqps/i.test(connection.protocol ?? 'amqp');
  if (options.tls !== undefined && !secure)
    throw new InvalidOptionError('tls', 'an amqps:// connection (the connection is plain amqp://)', 'tls options');
  return {
    socketOptions: tlsOf(options.tls),
    connectionName: name('connectionName', options.connectionName, defaultName),
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

export function bool(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw new InvalidOptionError(option, 'a boolean', value);
}

export function name(option: string, value: unknown, fallback: string | undefined): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && value.length > 0 && value.length <= 255) return value;
  throw new InvalidOptionError(option, 'a name of 1 to 255 characters', value);
}

/** An object with any of a connection's methods is meant as one (and then needs them all). */
function looksLikeConnection(value: object): boolean {
  const o = value as Record<string, unknown>;
  return typeof o.createChannel === 'function' || typeof o.createConfirmChannel === 'function';
}

/** Whether the option is an open connection (rather than a way to open one). */
export function isConnection(value: AmqpConnectionOption): value is AmqpConnection {
  return typeof value === 'object' && typeof (value as Partial<AmqpConnection>).createChannel === 'function';
}
