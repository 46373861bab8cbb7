import { InvalidOptionError, type Codec, type Connector } from '@rxq/core';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { Connections, DEFAULT_URL, type RedisConnection } from './connection.js';
import { uniqueId } from './envelope.js';
import { checkOptions, KNOWN } from './options.js';
import { ReliableSession, type ListDelivery, type ReliableSettings } from './reliableSession.js';
import { redisSimpleList, type RedisSimpleListOptions } from './simple.js';
import { codecOption, duration, nonEmpty } from '@rxq/core/kit';

/** Options of {@link redis}, the reliable list. `T` is the body type of the codec. */
export interface RedisOptions<T = unknown> {
  /**
   * A Redis URL (`redis://[[user]:password@]host:port[/db]`, `rediss://` for TLS) or an ioredis
   * client (5.x or 6.x), used as it is and never closed by rxq.
   * @default 'redis://127.0.0.1:6379'
   */
  readonly connection?: RedisConnection;
  /**
   * Node's TLS options (`ca`, `cert`, `key`, `servername`, …) for a connection rxq makes from the
   * URL; a `rediss://` URL alone turns TLS on with Node's defaults. An error beside a client
   * passed as `connection` (give that client its TLS options).
   * @default none
   */
  readonly tls?: ConnectionOptions;
  /**
   * `reliable`: at-least-once through a processing list per consumer. `simple`: `BLPOP`,
   * at-most-once — prefer {@link redisSimpleList}, which says so in its name.
   * @default 'reliable'
   */
  readonly mode?: 'reliable' | 'simple';
  /** How payloads are decoded; its body type is the messages' body type. @default json */
  readonly codec?: Codec<T>;
  /** The list dead letters go to. @default `${queue}:dead` */
  readonly deadLetterKey?: string;
  /** How long a receive blocks (`BLMOVE`) on an empty queue before it reports nothing. @default 1_000 */
  readonly blockMs?: number;
  /**
   * How long a consumer's heartbeat key lives without refresh (it is refreshed every third of it).
   * A consumer silent this long is taken for dead, and its processing list goes back to the queue.
   * @default 10_000
   */
  readonly consumerTtlMs?: number;
  /** The stem of this process's consumer ids (each session adds a unique suffix). @default `${hostname}-${pid}` */
  readonly consumerName?: string;
}

/**
 * The options of {@link redis}.
 * @deprecated Renamed {@link RedisOptions}.
 */
export type RedisListOptions<T = unknown> = RedisOptions<T>;

/**
 * A Redis list as an rxq source: `fromQueue(redis('my_queue'))`. Producers `RPUSH` plain payloads
 * (from any language; attempt 1).
 *
 * The default `reliable` mode is at-least-once: each consumer moves messages atomically from the
 * queue into its own processing list (`<queue>:processing:<id>`), as many as the credit allows in
 * one round trip, and `ack` removes them (batched: one call per event-loop turn). Each consumer
 * keeps a heartbeat key (`<queue>:consumers:<id>`) alive; when one dies, a live consumer moves its
 * processing list back to the queue with attempt + 1. `nack` puts the message back at the tail with
 * attempt + 1, resend pushes a copy (after a delay, through the `<queue>:delayed` sorted set),
 * dead letters go to `<queue>:dead` with the reason, and release (unsubscribe) puts unhandled
 * messages back at the head. A lost connection rejects the pending receive with a retryable error,
 * so `fromQueue` reconnects; nothing is lost. A wrong password (`AuthenticationError`), a missing
 * permission (`AuthorizationError`) or database (`NotFoundError`) errors the stream instead. With `mode: 'simple'` it is {@link redisSimpleList}.
 *
 * @example
 * fromQueue(redis('orders', { connection: 'redis://localhost:6379' }), { maxInFlight: 256 })
 *   .pipe(handle(ship, { concurrency: 32 }), retryWithResend({ maxAttempts: 5 }), ack())
 *   .subscribe();
 */
export function redis<T = unknown>(queue: string, options: RedisOptions<T> = {}): Connector<ListDelivery, T> {
  nonEmpty('queue', queue);
  checkOptions(options, KNOWN.redis);
  codecOption(options.codec, { encode: true });
  if (options.mode === 'simple') {
    for (const option of ['consumerTtlMs', 'consumerName'] as const)
      if (options[option] !== undefined)
        throw new InvalidOptionError(
          option,
          "no value with mode: 'simple' (a simple list has no consumers)",
          options[option],
        );
    const simple: { -readonly [K in keyof RedisSimpleListOptions<T>]: RedisSimpleListOptions<T>[K] } = {};
    if (options.connection !== undefined) simple.connection = options.connection;
    if (options.tls !== undefined) simple.tls = options.tls;
    if (options.codec !== undefined) simple.codec = options.codec;
    if (options.deadLetterKey !== undefined) simple.deadLetterKey = options.deadLetterKey;
    if (options.blockMs !== undefined) simple.blockMs = options.blockMs;
    return redisSimpleList(queue, simple);
  }
  if (options.mode !== undefined && options.mode !== 'reliable')
    throw new InvalidOptionError('mode', "'reliable' or 'simple'", options.mode);
  const settings: ReliableSettings = {
    queue,
    deadLetterKey: nonEmpty('deadLetterKey', options.deadLetterKey, `${queue}:dead`),
    blockMs: duration('blockMs', options.blockMs, 1_000, 10),
    consumerTtlMs: duration('consumerTtlMs', options.consumerTtlMs, 10_000, 300),
    consumerName: nonEmpty('consumerName', options.consumerName, `${hostname()}-${process.pid}`),
  };
  const connections = new Connections(options.connection ?? DEFAULT_URL, queue, options.tls);
  const open: Connector<ListDelivery, T>['open'] = (context) =>
    ReliableSession.open(connections, context, settings, `${settings.consumerName}-${uniqueId()}`);
  return options.codec === undefined ? { name: queue, open } : { name: queue, open, defaultCodec: options.codec };
}
