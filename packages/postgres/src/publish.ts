import {
  HEADERS,
  InvalidOptionError,
  json,
  NotFoundError,
  nonNegative,
  positiveInt,
  publishHeaders,
  rejectUnknownOptions,
  type Codec,
} from '@rxq/core';
import type { PgQueryable } from './connection.js';
import { channelOf, DEFAULT_SCHEMA, msInterval, quoteSchema } from './sql.js';

/** Options of {@link publish} and {@link publishMany}. */
export interface PublishOptions {
  /** The schema rxq's tables are in. @default 'rxq' */
  readonly schema?: string;
  /** Headers stored with each message (trace context and the like). @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** How bodies are encoded. @default json */
  readonly codec?: Codec<unknown>;
  /** The message becomes visible this long after the publish commits. @default 0 */
  readonly delayMs?: number;
  /** The attempt the message carries. @default 1 */
  readonly attempt?: number;
  /**
   * Send a NOTIFY so that waiting consumers wake when the transaction commits. PostgreSQL
   * serialises committing transactions that notify; a publisher of many small transactions a
   * second may pass `false`, and consumers then find its messages within `pollMs`.
   * @default true
   */
  readonly notify?: boolean;
}

/** Options of {@link publishTopic} and {@link publishTopicMany}. */
export interface PublishTopicOptions extends Pick<PublishOptions, 'schema' | 'headers' | 'codec' | 'notify'> {
  /**
   * Create the topic if it does not exist. With `false`, publishing to a topic that does not
   * exist (never created, or deleted with `deleteTopic`) rejects with `NotFoundError` and writes
   * nothing. @default true
   */
  readonly create?: boolean;
}

const QUEUE_KEYS = ['schema', 'headers', 'codec', 'delayMs', 'attempt', 'notify'] as const;
const TOPIC_KEYS = ['schema', 'headers', 'codec', 'notify', 'create'] as const;

/** The select-list item that notifies (`$channel`, payload `$name`), unless `notify` is false. */
function notifyItem(options: PublishOptions, channel: number, name: number): string {
  if (options.notify !== undefined && typeof options.notify !== 'boolean')
    throw new InvalidOptionError('notify', 'true or false', options.notify);
  return options.notify === false
    ? `$${channel}::text AS channel, $${name}::text AS name`
    : `pg_notify($${channel}, $${name})`;
}

/** Encodes a body to the bytes stored in `payload`. */
export function encode(codec: Codec<unknown>, body: unknown): Buffer {
  const payload = codec.encode(body);
  return typeof payload === 'string'
    ? Buffer.from(payload)
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function headersOf(options: PublishOptions): string {
  // With the trace context an instrumentation adds (`publishHeaders`).
  const headers = { ...publishHeaders(options.headers) };
  if (options.attempt !== undefined && options.attempt !== 1) headers[HEADERS.attempt] = String(options.attempt);
  return JSON.stringify(headers);
}

function name(option: string, value: unknown): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new InvalidOptionError(option, 'a non-empty name', value);
}

/**
 * Adds one message to a work queue with the caller's client, so that it commits or rolls back
 * with the app's own writes in the same transaction (a transactional outbox). Consumers waiting on
 * the queue are woken by a NOTIFY when the transaction commits. Resolves with the message's id.
 *
 * @example
 * await client.query('BEGIN');
 * await client.query('INSERT INTO orders …');
 * await publish(client, 'ship-order', { orderId: 42 });
 * await client.query('COMMIT');
 */
export async function publish(
  client: PgQueryable,
  queue: string,
  body: unknown,
  options: PublishOptions = {},
): Promise<string> {
  const [id] = await publishMany(client, queue, [body], options);
  return id as string;
}

/** {@link publish} of many bodies in one statement, in order. Resolves with their ids. */
export async function publishMany(
  client: PgQueryable,
  queue: string,
  bodies: readonly unknown[],
  options: PublishOptions = {},
): Promise<string[]> {
  rejectUnknownOptions(options, QUEUE_KEYS);
  name('queue', queue);
  const s = quoteSchema('schema', options.schema ?? DEFAULT_SCHEMA);
  const delayMs = nonNegative('delayMs', options.delayMs ?? 0);
  const attempt = positiveInt('attempt', options.attempt ?? 1);
  if (bodies.length === 0) return [];
  const codec = options.codec ?? json;
  const payloads = bodies.map((b) => encode(codec, b));
  const result = await client.query(
    `WITH ins AS (
       INSERT INTO ${s}.jobs (queue, payload, headers, attempt, run_at)
       SELECT $1, p, $3::jsonb, $4, now() + ${msInterval(5)}
       FROM unnest($2::bytea[]) WITH ORDINALITY AS u(p, ord) ORDER BY ord
       RETURNING id)
     SELECT (SELECT array_agg(id::text ORDER BY id) FROM ins) AS ids, ${notifyItem(options, 6, 1)}`,
    [queue, payloads, headersOf(options), attempt, delayMs, channelOf(schemaName(options.schema))],
  );
  return ((result.rows[0] as { ids: string[] | null } | undefined)?.ids ?? []).slice();
}

/**
 * Appends one message to a topic log with the caller's client (in the caller's transaction, if
 * any). Offsets are gapless per topic, from 1: the topic's row is locked until the transaction
 * ends, so concurrent publishers to one topic take their offsets one transaction after another
 * (keep such transactions short). Resolves with the message's offset.
 *
 * @example
 * await publishTopic(pool, 'orders', { orderId: 42, status: 'paid' });
 */
export async function publishTopic(
  client: PgQueryable,
  topic: string,
  body: unknown,
  options: PublishTopicOptions = {},
): Promise<string> {
  const [offset] = await publishTopicMany(client, topic, [body], options);
  return offset as string;
}

/** {@link publishTopic} of many bodies in one statement, with consecutive offsets. */
export async function publishTopicMany(
  client: PgQueryable,
  topic: string,
  bodies: readonly unknown[],
  options: PublishTopicOptions = {},
): Promise<string[]> {
  rejectUnknownOptions(options, TOPIC_KEYS);
  name('topic', topic);
  const s = quoteSchema('schema', options.schema ?? DEFAULT_SCHEMA);
  const create = options.create ?? true;
  if (typeof create !== 'boolean') throw new InvalidOptionError('create', 'true or false', create);
  if (bodies.length === 0) return [];
  const codec = options.codec ?? json;
  const payloads = bodies.map((b) => encode(codec, b));
  const result = await client.query(
    `WITH t AS (${
      create
        ? `INSERT INTO ${s}.topics AS t (name, last_offset) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET last_offset = t.last_offset + excluded.last_offset`
        : `UPDATE ${s}.topics t SET last_offset = t.last_offset + $2 WHERE t.name = $1`
    }
       RETURNING last_offset),
     ins AS (
       INSERT INTO ${s}.messages (topic, "offset", payload, headers)
       SELECT $1, t.last_offset - $2 + u.ord, u.p, $4::jsonb
       FROM t, unnest($3::bytea[]) WITH ORDINALITY AS u(p, ord)
       RETURNING 1)
     SELECT (SELECT last_offset::text FROM t) AS last, (SELECT count(*) FROM ins) AS n, ${notifyItem(options, 5, 1)}`,
    [topic, payloads.length, payloads, headersOf(options), channelOf(schemaName(options.schema))],
  );
  const lastText = (result.rows[0] as { last: string | null }).last;
  if (lastText === null) throw new NotFoundError(`no topic \`${topic}\``);
  const last = BigInt(lastText);
  const first = last - BigInt(payloads.length) + 1n;
  return payloads.map((_, i) => String(first + BigInt(i)));
}

function schemaName(schema: string | undefined): string {
  return schema ?? DEFAULT_SCHEMA;
}
