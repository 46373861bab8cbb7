import { InvalidOptionError, rejectUnknownOptions } from '@rxq/core';
import type { Channel, ConfirmChannel, Options } from 'amqplib';
import { name } from './check.js';
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

/** An object with any of a connection's methods is meant as one (and then needs them all). */
function looksLikeConnection(value: object): boolean {
  const o = value as Record<string, unknown>;
  return typeof o.createChannel === 'function' || typeof o.createConfirmChannel === 'function';
}

/** Whether the option is an open connection (rather than a way to open one). */
export function isConnection(value: AmqpConnectionOption): value is AmqpConnection {
  return typeof value === 'object' && typeof (value as Partial<AmqpConnection>).createChannel === 'function';
}
