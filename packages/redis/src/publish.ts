import { HEADERS, InvalidOptionError, json, type Codec } from '@rxq/core';
import type { Redis } from 'ioredis';
import { createClient } from './ioredis.js';
import type { ConnectionOptions } from 'node:tls';
import { checkClient } from './client.js';
import { type RedisConnection } from './connection.js';
import { wrap } from './envelope.js';
import { classify } from './errors.js';
import { checkHeaders, checkOptions, KNOWN } from './options.js';
import { codecOption } from '@rxq/core/kit';

/** Options of {@link publish} and {@link publishMany}. `T` is the body type of the codec. */
export interface PublishOptions<T = unknown> {
  /** The attempt the message carries. @default 1 */
  readonly attempt?: number;
  /** Headers to send with it (string values). @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** How the body is encoded (`text`/`bytes` send strings and bytes as they are). @default json */
  readonly codec?: Codec<T>;
  /**
   * Node's TLS options when `connection` is a URL (rxq makes the client); an error beside a
   * client.
   * @default none
   */
  readonly tls?: ConnectionOptions;
}

/** Options of {@link publishToStream}. */
export interface PublishToStreamOptions<T = unknown> extends PublishOptions<T> {
  /** The field that holds the payload. @default 'body' */
  readonly bodyField?: string;
}

/**
 * The options of {@link publishToStream}.
 * @deprecated Renamed {@link PublishToStreamOptions}.
 */
export type XPublishOptions<T = unknown> = PublishToStreamOptions<T>;

function headersOf<T>(options: PublishOptions<T>): Record<string, string> | undefined {
  const attempt = options.attempt ?? 1;
  if (attempt === 1 && options.headers === undefined) return undefined;
  return { ...options.headers, [HEADERS.attempt]: String(attempt) };
}

function check<T>(options: PublishOptions<T>, known: readonly string[]): void {
  checkOptions(options, known);
  checkHeaders(options.headers);
  codecOption(options.codec, { encode: true });
  const { attempt } = options;
  if (attempt !== undefined && !(Number.isInteger(attempt) && attempt >= 1))
    throw new InvalidOptionError('attempt', 'an integer ≥ 1', attempt);
}

/**
 * Pushes one message to the tail of a Redis list (`RPUSH`). Without attempt or headers the list
 * gets the plain encoded body, exactly what any other producer would push; with them, an rxq
 * envelope that the list sources read back. `connection` is the app's ioredis client (used, left
 * open) or a URL (a connection made for this call and closed after it). Resolves with the list's
 * length.
 *
 * @example
 * await publish(client, 'orders', { id: 42 });
 * await publish('redis://localhost:6379', 'orders', { id: 43 });
 */
export async function publish<T = unknown>(
  connection: RedisConnection,
  queue: string,
  body: T,
  options: PublishOptions<T> = {},
): Promise<number> {
  return publishMany(connection, queue, [body], options);
}

/**
 * Pushes many messages to the tail of a Redis list, in order, in one `RPUSH` per thousand
 * messages (as {@link publish} does for one). Resolves with the list's length.
 *
 * @example
 * await publishMany(client, 'orders', [{ id: 1 }, { id: 2 }]);
 */
export async function publishMany<T = unknown>(
  connection: RedisConnection,
  queue: string,
  bodies: readonly T[],
  options: PublishOptions<T> = {},
): Promise<number> {
  check(options, KNOWN.publish);
  const list: unknown = bodies;
  if (!Array.isArray(list)) throw new InvalidOptionError('bodies', 'an array of bodies', bodies);
  const codec = (options.codec ?? json) as Codec<T>;
  const headers = headersOf(options);
  const payloads = bodies.map((body) => {
    const payload = codec.encode(body);
    return headers === undefined ? toBuffer(payload) : wrap(payload, headers);
  });
  return withClient(connection, options.tls, 'a publish', async (client) => {
    let length = 0;
    if (payloads.length === 0) return client.llen(queue);
    for (let i = 0; i < payloads.length; i += 1000) length = await client.rpush(queue, ...payloads.slice(i, i + 1000));
    return length;
  });
}

/**
 * Adds one entry to a Redis stream: `XADD stream * body <payload> [header value …]`. Takes the
 * app's client or a URL, as {@link publish}. Resolves with the entry id.
 *
 * @example
 * await publishToStream(client, 'events', { kind: 'signup' }, { headers: { tenant: 'acme' } });
 */
export async function publishToStream<T = unknown>(
  connection: RedisConnection,
  stream: string,
  body: T,
  options: PublishToStreamOptions<T> = {},
): Promise<string> {
  check(options, KNOWN.publishToStream);
  const payload = toBuffer(((options.codec ?? json) as Codec<T>).encode(body));
  const fields: (string | Buffer)[] = [options.bodyField ?? 'body', payload];
  for (const [k, v] of Object.entries(headersOf(options) ?? {})) fields.push(k, v);
  return withClient(
    connection,
    options.tls,
    'a publish',
    async (client) => (await client.xadd(stream, '*', ...fields)) as string,
  );
}

/**
 * The stream publish helper.
 * @deprecated Renamed {@link publishToStream}.
 */
export const xpublish: typeof publishToStream = publishToStream;

/** Runs `work` on the app's client, or on a client made from the URL for it and closed after. */
async function withClient<R>(
  connection: RedisConnection,
  tls: ConnectionOptions | undefined,
  what: string,
  work: (client: Redis) => Promise<R>,
): Promise<R> {
  if (typeof connection !== 'string') {
    if (tls !== undefined)
      throw new InvalidOptionError('tls', 'no `tls` beside a client (give that client its TLS options)', tls);
    const client = checkClient(connection, 'connection') as unknown as Redis;
    try {
      return await work(client);
    } catch (error) {
      throw classify(error, what);
    }
  }
  if (!/^rediss?:\/\//.test(connection))
    throw new InvalidOptionError('connection', 'a redis:// or rediss:// URL or an ioredis client', '(a string)');
  const client = createClient(connection, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    ...(tls && { tls }),
  });
  let failure: unknown;
  client.on('error', (error: unknown) => (failure ??= error));
  try {
    await client.connect();
    // ioredis reports a failed SELECT on its error event and goes on with database 0: not here.
    await client.ping();
    if (failure !== undefined) throw classify(failure, what);
    return await work(client);
  } catch (error) {
    throw classify(failure ?? error, what);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

function toBuffer(payload: string | Uint8Array): Buffer | string {
  return typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}
