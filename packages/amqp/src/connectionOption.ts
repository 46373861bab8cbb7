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

/** One broker rxq can open a connection to: an `amqp://` or `amqps://` URL, or amqplib's connect options. */
export type AmqpBrokerAddress = string | Options.Connect;

/**
 * Where rxq connects: a URL or connect options, a list of them (the nodes of a cluster, tried in
 * order), or an open connection.
 */
export type AmqpConnectionOption = AmqpBrokerAddress | readonly AmqpBrokerAddress[] | AmqpConnection;

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

/**
 * Checks the `connection` option: a URL, connect options (keys checked), a non-empty list of
 * those (each checked, named `connection[i]`), or a connection by shape.
 */
export function connectionOf(value: unknown, option = 'connection'): AmqpConnectionOption {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new InvalidOptionError(option, 'at least one broker URL or connect options', value);
    return Object.freeze(
      value.map((item: unknown, i) => {
        const name = `${option}[${i}]`;
        const address =
          item === null || item === undefined || Array.isArray(item) ? undefined : connectionOf(item, name);
        if (address === undefined || isConnection(address))
          throw new InvalidOptionError(
            name,
            'a broker URL or connect options (not a connection)',
            address && 'a connection',
          );
        return address as AmqpBrokerAddress;
      }),
    );
  }
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
  const plain = addressesOf(connection).findIndex((a) => !isSecure(a));
  if (options.tls !== undefined && plain >= 0)
    throw new InvalidOptionError(
      'tls',
      Array.isArray(connection)
        ? `amqps:// brokers only (connection[${plain}] is plain amqp://)`
        : 'an amqps:// connection (the connection is plain amqp://)',
      'tls options',
    );
  return {
    socketOptions: tlsOf(options.tls),
    connectionName: name('connectionName', options.connectionName, defaultName),
  };
}

/** The brokers of a URL, connect options or a list of them, in order. */
export function addressesOf(option: AmqpBrokerAddress | readonly AmqpBrokerAddress[]): readonly AmqpBrokerAddress[] {
  return isAddressList(option) ? option : [option];
}

function isAddressList(
  option: AmqpBrokerAddress | readonly AmqpBrokerAddress[],
): option is readonly AmqpBrokerAddress[] {
  return Array.isArray(option);
}

function isSecure(address: AmqpBrokerAddress): boolean {
  return typeof address === 'string' ? /^amqps:/i.test(address) : /^amqps/i.test(address.protocol ?? 'amqp');
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
