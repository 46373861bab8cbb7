import { InvalidOptionError, rejectUnknownOptions, silentLogger, type Logger } from '@rxq/core';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { installCompressionCodecs } from './compression.js';
import { quietRequestQueue } from './requestQueue.js';
import { kafkajsLogCreator } from './logging.js';

/** How to reach Kafka when rxq makes the kafkajs client: brokers, TLS, SASL. */
export interface KafkaConnectionOptions {
  /**
   * Bootstrap brokers: `host:port` strings, or one `kafka://host:port[,host:port…]` URL.
   * @default ['127.0.0.1:9092']
   */
  readonly brokers?: readonly string[] | string;
  /** kafkajs client id. @default 'rxq' */
  readonly clientId?: string;
  /** TLS: `true`, or Node's `tls.connect` options (CA, client certificate and key). @default false */
  readonly ssl?: boolean | ConnectionOptions;
  /**
   * SASL: `{ mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password }`, or
   * kafkajs' `aws` / `oauthbearer` forms. Credentials never appear in errors, logs or status.
   * @default none
   */
  readonly sasl?: SASLOptions;
  /** Which kafkajs records reach the logger (`logLevel.NOTHING` … `logLevel.DEBUG`). @default logLevel.WARN */
  readonly logLevel?: logLevel;
}

/** The options of {@link KafkaConnectionOptions}, for `rejectUnknownOptions`. */
export const CONNECTION_KEYS = ['brokers', 'clientId', 'ssl', 'sasl', 'logLevel'] as const;

const SASL_KEYS: Record<string, readonly string[]> = {
  plain: ['mechanism', 'username', 'password'],
  'scram-sha-256': ['mechanism', 'username', 'password'],
  'scram-sha-512': ['mechanism', 'username', 'password'],
  aws: ['mechanism', 'authorizationIdentity', 'accessKeyId', 'secretAccessKey', 'sessionToken'],
  oauthbearer: ['mechanism', 'oauthBearerProvider'],
};

/** Host:port list of a `brokers` option (array or `kafka://` URL). */
export function brokersOf(value: readonly string[] | string | undefined, option = 'brokers'): string[] {
  if (value === undefined) return ['127.0.0.1:9092'];
  if (typeof value === 'string') {
    const m = /^kafka:\/\/([^/?#@]+)\/?$/.exec(value);
    if (!m?.[1])
      throw new InvalidOptionError(option, 'host:port strings or a kafka://host:port[,host:port] URL', value);
    return brokersOf(m[1].split(','), option);
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new InvalidOptionError(option, 'a non-empty array of host:port', value);
  for (const b of value as readonly unknown[])
    if (typeof b !== 'string' || !/^[^:/\s]+:\d+$/.test(b)) throw new InvalidOptionError(option, 'host:port', b);
  return [...(value as readonly string[])];
}

/** Checks connection options (nested `sasl` by mechanism); never echoes a secret. */
export function checkConnection(options: KafkaConnectionOptions, path = ''): void {
  brokersOf(options.brokers, `${path}brokers`);
  const sasl = options.sasl as (SASLOptions & Record<string, unknown>) | undefined;
  if (sasl !== undefined) {
    const keys = typeof sasl === 'object' && sasl !== null ? SASL_KEYS[String(sasl.mechanism)] : undefined;
    if (!keys)
      throw new InvalidOptionError(
        `${path}sasl.mechanism`,
        Object.keys(SASL_KEYS).join(', '),
        typeof sasl === 'object' && sasl !== null ? sasl.mechanism : sasl,
      );
    rejectUnknownOptions(sasl, keys, `${path}sasl`);
  }
  const ssl = options.ssl;
  if (ssl !== undefined && typeof ssl !== 'boolean' && (typeof ssl !== 'object' || ssl === null))
    throw new InvalidOptionError(`${path}ssl`, 'true, false or tls.connect options', typeof ssl);
}

/** Whether `value` has the shape of a kafkajs `Kafka` client (any version in the peer range). */
export function isKafkaClient(value: unknown): value is Kafka {
  if (typeof value !== 'object' || value === null) return false;
  const k = value as Record<string, unknown>;
  return typeof k.consumer === 'function' && typeof k.producer === 'function' && typeof k.admin === 'function';
}

/** A kafkajs client for the options, with the compression codecs and its logs routed to `logger`. */
export function makeClient(options: KafkaConnectionOptions, logger: Logger = silentLogger): Kafka {
  installCompressionCodecs();
  quietRequestQueue();
  return new Kafka({
    brokers: brokersOf(options.brokers),
    clientId: options.clientId ?? 'rxq',
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    // A copy: kafkajs writes into the object it is given (authenticationProvider).
    ...(options.sasl === undefined ? {} : { sasl: { ...options.sasl } }),
    logLevel: options.logLevel ?? logLevel.WARN,
    logCreator: kafkajsLogCreator(logger),
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
}
