import { InvalidOptionError, rejectUnknownOptions, silentLogger } from '@rxq/core';
import { checkConnection, Pools, type PgConnection, type PgQueryable } from './connection.js';
import { translate } from './errors.js';
import { nonEmpty } from '@rxq/core/kit';
import { DEFAULT_SCHEMA, quoteSchema } from './sql.js';

/** Where {@link resetSubscriber} moves subscribers: the next offset they read. */
export type ResetTarget =
  | 'beginning'
  | 'end'
  | { readonly offset: number | string }
  | { readonly timestamp: Date | number };

/** Options of {@link resetSubscriber}. */
export interface ResetOptions {
  readonly connection: PgConnection;
  readonly topic: string;
  /** One subscriber (created if new), or every subscriber of the topic when absent. @default all */
  readonly subscriber?: string;
  /** `beginning`, `end`, `{ offset }` (the next offset read) or `{ timestamp }` (the first message at or after it). */
  readonly to: ResetTarget;
  /** @default 'rxq' */
  readonly schema?: string;
}

/** Runs `run` on one client of `connection` (a pool made for the call from a URL), errors translated. */
export async function withClient<R>(
  connection: PgConnection,
  what: string,
  run: (db: PgQueryable) => Promise<R>,
): Promise<R> {
  const pools = new Pools(checkConnection(connection), 'admin', 1);
  const pool = pools.acquire(silentLogger);
  try {
    const client = await pool.connect();
    try {
      return await run(client);
    } finally {
      client.release();
    }
  } catch (error) {
    throw translate(error, what);
  } finally {
    await pools.release();
  }
}

function targetSql(to: ResetTarget): { sql: string; value: unknown } {
  if (to === 'end') return { sql: `last + 1`, value: null };
  if (to === 'beginning') return { sql: `COALESCE(first, last + 1)`, value: null };
  if (typeof to === 'object' && to !== null && 'offset' in to) {
    const n = Number(to.offset);
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidOptionError('to.offset', 'an offset ≥ 1', to.offset);
    return { sql: `o`, value: n };
  }
  if (typeof to === 'object' && to !== null && 'timestamp' in to) {
    const ms = to.timestamp instanceof Date ? to.timestamp.getTime() : to.timestamp;
    if (typeof ms !== 'number' || !Number.isFinite(ms))
      throw new InvalidOptionError('to.timestamp', 'a Date or milliseconds since the epoch', to.timestamp);
    return { sql: `COALESCE(at_time, last + 1)`, value: new Date(ms) };
  }
  throw new InvalidOptionError('to', "'beginning', 'end', { offset } or { timestamp }", to);
}

/**
 * Moves one subscriber, or every subscriber of a topic, to an offset or a time, in one
 * transaction: their claims are dropped and their committed offset set one below the target, so
 * the next read starts there (a replay when it moves back, a skip when it moves ahead). Consumers
 * that are running go on from the target; what they held is read again. Resolves with the next
 * offset the subscribers read.
 *
 * @example
 * await resetSubscriber({ connection: pool, topic: 'orders', subscriber: 'billing', to: { timestamp: Date.now() - 3_600_000 } });
 */
export async function resetSubscriber(options: ResetOptions): Promise<string> {
  rejectUnknownOptions(options, ['connection', 'topic', 'subscriber', 'to', 'schema']);
  const topic = nonEmpty('topic', options.topic);
  const subscriber = options.subscriber === undefined ? null : nonEmpty('subscriber', options.subscriber);
  const s = quoteSchema('schema', options.schema ?? DEFAULT_SCHEMA);
  const target = targetSql(options.to);
  return withClient(options.connection, 'a subscriber reset', async (db) => {
    await db.query('BEGIN');
    try {
      const { rows } = await db.query(
        `WITH b AS (SELECT
           COALESCE((SELECT last_offset FROM ${s}.topics WHERE name = $1), 0) AS last,
           (SELECT min("offset") FROM ${s}.messages WHERE topic = $1) AS first,
           (SELECT min("offset") FROM ${s}.messages WHERE topic = $1 AND created_at >= $3::timestamptz) AS at_time,
           $2::bigint AS o)
         SELECT (${target.sql})::text AS next FROM b`,
        [
          topic,
          typeof target.value === 'number' ? target.value : null,
          target.value instanceof Date ? target.value : null,
        ],
      );
      const next = (rows[0] as { next: string }).next;
      await db.query(`DELETE FROM ${s}.claims WHERE topic = $1 AND ($2::text IS NULL OR subscriber = $2)`, [
        topic,
        subscriber,
      ]);
      await db.query(
        `UPDATE ${s}.subscribers SET claimed = $3::bigint - 1, committed = $3::bigint - 1
         WHERE topic = $1 AND ($2::text IS NULL OR name = $2)`,
        [topic, subscriber, next],
      );
      if (subscriber !== null)
        await db.query(
          `INSERT INTO ${s}.subscribers (topic, name, claimed, committed) VALUES ($1, $2, $3::bigint - 1, $3::bigint - 1)
           ON CONFLICT DO NOTHING`,
          [topic, subscriber, next],
        );
      await db.query('COMMIT');
      return next;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** Options of {@link pruneTopic}. */
export interface PruneOptions {
  readonly connection: PgConnection;
  readonly topic: string;
  /** Delete what every subscriber of the topic has committed (none when it has no subscriber). @default true */
  readonly passedByAll?: boolean;
  /** Also delete messages older than this, whether read or not. @default none */
  readonly maxAgeMs?: number;
  /** @default 'rxq' */
  readonly schema?: string;
}

/**
 * Retention: deletes the messages of a topic that every subscriber has passed, and/or those
 * older than `maxAgeMs`. Offsets are never reused. Run it on a timer. Resolves with how many
 * messages were deleted.
 */
export async function pruneTopic(options: PruneOptions): Promise<number> {
  rejectUnknownOptions(options, ['connection', 'topic', 'passedByAll', 'maxAgeMs', 'schema']);
  const topic = nonEmpty('topic', options.topic);
  const s = quoteSchema('schema', options.schema ?? DEFAULT_SCHEMA);
  const maxAgeMs = options.maxAgeMs;
  if (maxAgeMs !== undefined && !(typeof maxAgeMs === 'number' && maxAgeMs >= 0))
    throw new InvalidOptionError('maxAgeMs', 'a number ≥ 0 (milliseconds)', maxAgeMs);
  const passed = options.passedByAll ?? true;
  return withClient(options.connection, 'pruning a topic', async (db) => {
    const result = await db.query(
      `DELETE FROM ${s}.messages WHERE topic = $1 AND (
         ($2 AND "offset" <= (SELECT min(committed) FROM ${s}.subscribers WHERE topic = $1))
         OR ($3::double precision IS NOT NULL AND created_at < now() - $3::double precision * interval '1 millisecond'))`,
      [topic, passed, maxAgeMs ?? null],
    );
    return result.rowCount ?? 0;
  });
}

/** A subscriber's position. */
export interface SubscriberOffsets {
  readonly subscriber: string;
  /** Every offset up to this one is settled. */
  readonly committed: string;
  /** The highest offset handed out. */
  readonly claimed: string;
  /** The topic's last offset. */
  readonly last: string;
  /** Messages not yet committed: `last - committed`. */
  readonly lag: number;
}

/** The positions of a topic's subscribers, computed fresh from their claims. */
export async function subscriberOffsets(options: {
  readonly connection: PgConnection;
  readonly topic: string;
  readonly schema?: string;
}): Promise<SubscriberOffsets[]> {
  rejectUnknownOptions(options, ['connection', 'topic', 'schema']);
  const s = quoteSchema('schema', options.schema ?? DEFAULT_SCHEMA);
  return withClient(options.connection, 'reading offsets', async (db) => {
    const { rows } = await db.query(
      `SELECT s.name AS subscriber,
         (LEAST((SELECT min(next) FROM ${s}.claims k WHERE k.topic = s.topic AND k.subscriber = s.name), s.claimed + 1) - 1)::text AS committed,
         s.claimed::text AS claimed, COALESCE(t.last_offset, 0)::text AS last
       FROM ${s}.subscribers s LEFT JOIN ${s}.topics t ON t.name = s.topic
       WHERE s.topic = $1 ORDER BY s.name`,
      [nonEmpty('topic', options.topic)],
    );
    return (rows as Omit<SubscriberOffsets, 'lag'>[]).map((r) => ({ ...r, lag: Number(r.last) - Number(r.committed) }));
  });
}
