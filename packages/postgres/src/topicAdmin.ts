import { InvalidOptionError, NotFoundError, rejectUnknownOptions } from '@rxq/core';
import { withClient } from './admin.js';
import type { PgConnection, PgQueryable } from './connection.js';
import { nonEmpty } from '@rxq/core/kit';
import { DEFAULT_SCHEMA, quoteSchema } from './sql.js';

/** Where a topic is: its connection and schema. */
export interface TopicAdminOptions {
  readonly connection: PgConnection;
  /** @default 'rxq' */
  readonly schema?: string;
}

/** A topic as {@link listTopics} reports it. */
export interface TopicInfo {
  readonly name: string;
  /** The last offset given out (0 before the first message). */
  readonly lastOffset: string;
  /** The oldest offset still kept, or `null` when the topic holds no message. */
  readonly firstOffset: string | null;
  /** How many named subscribers it has. */
  readonly subscribers: number;
}

/** A message read by {@link readSubscriber}, as stored. */
export interface TopicMessage {
  readonly offset: string;
  readonly payload: Buffer;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}

const KEYS = ['connection', 'schema'] as const;

function schemaOf(options: TopicAdminOptions, extra: readonly string[]): string {
  rejectUnknownOptions(options, [...KEYS, ...extra]);
  return quoteSchema('schema', options.schema ?? DEFAULT_SCHEMA);
}

async function transaction<R>(db: PgQueryable, run: () => Promise<R>): Promise<R> {
  await db.query('BEGIN');
  try {
    const result = await run();
    await db.query('COMMIT');
    return result;
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function mustHaveTopic(db: PgQueryable, s: string, topic: string): Promise<void> {
  const { rowCount } = await db.query(`SELECT 1 FROM ${s}.topics WHERE name = $1 FOR SHARE`, [topic]);
  if (!rowCount) throw new NotFoundError(`no topic \`${topic}\``);
}

/** Creates a topic (offsets from 1). Resolves `true` if it was created, `false` if it existed. */
export async function createTopic(options: TopicAdminOptions & { readonly topic: string }): Promise<boolean> {
  const s = schemaOf(options, ['topic']);
  const topic = nonEmpty('topic', options.topic);
  return withClient(options.connection, 'creating a topic', async (db) => {
    const { rowCount } = await db.query(
      `INSERT INTO ${s}.topics (name, last_offset) VALUES ($1, 0) ON CONFLICT DO NOTHING`,
      [topic],
    );
    return rowCount === 1;
  });
}

/**
 * Deletes a topic in one transaction: its messages, its subscribers, their claims and their
 * resent copies. Its dead letters are kept (a record of what failed). Resolves `false` when there
 * was no such topic. A later `publishTopic` (with `create` left `true`) starts it again from offset 1.
 */
export async function deleteTopic(options: TopicAdminOptions & { readonly topic: string }): Promise<boolean> {
  const s = schemaOf(options, ['topic']);
  const topic = nonEmpty('topic', options.topic);
  return withClient(options.connection, 'deleting a topic', (db) =>
    transaction(db, async () => {
      const { rowCount } = await db.query(`DELETE FROM ${s}.topics WHERE name = $1`, [topic]);
      await db.query(
        `DELETE FROM ${s}.jobs WHERE queue IN (SELECT 'topic:' || topic || ':' || name FROM ${s}.subscribers WHERE topic = $1)`,
        [topic],
      );
      await db.query(`DELETE FROM ${s}.claims WHERE topic = $1`, [topic]);
      await db.query(`DELETE FROM ${s}.subscribers WHERE topic = $1`, [topic]);
      await db.query(`DELETE FROM ${s}.messages WHERE topic = $1`, [topic]);
      return rowCount === 1;
    }),
  );
}

/** The topics of a schema, by name (or the one named `topic`: an empty list when it does not exist). */
export async function listTopics(options: TopicAdminOptions & { readonly topic?: string }): Promise<TopicInfo[]> {
  const s = schemaOf(options, ['topic']);
  const topic = options.topic === undefined ? null : nonEmpty('topic', options.topic);
  return withClient(options.connection, 'listing topics', async (db) => {
    const { rows } = await db.query(
      `SELECT t.name, t.last_offset::text AS "lastOffset",
         (SELECT min("offset") FROM ${s}.messages m WHERE m.topic = t.name)::text AS "firstOffset",
         (SELECT count(*) FROM ${s}.subscribers u WHERE u.topic = t.name)::int AS subscribers
       FROM ${s}.topics t WHERE $1::text IS NULL OR t.name = $1 ORDER BY t.name`,
      [topic],
    );
    return rows as TopicInfo[];
  });
}

/**
 * Creates a named subscriber of an existing topic, at its end (it sees what is published from
 * now on) or its beginning (the oldest message kept). An existing subscriber is left where it is.
 * Resolves whether it was created. Rejects with `NotFoundError` when the topic does not exist.
 */
export async function createSubscriber(
  options: TopicAdminOptions & {
    readonly topic: string;
    readonly subscriber: string;
    /** @default 'end' */
    readonly start?: 'end' | 'beginning';
  },
): Promise<boolean> {
  const s = schemaOf(options, ['topic', 'subscriber', 'start']);
  const topic = nonEmpty('topic', options.topic);
  const subscriber = nonEmpty('subscriber', options.subscriber);
  const start = options.start ?? 'end';
  if (start !== 'end' && start !== 'beginning') throw new InvalidOptionError('start', "'end' or 'beginning'", start);
  return withClient(options.connection, 'creating a subscriber', (db) =>
    transaction(db, async () => {
      await mustHaveTopic(db, s, topic);
      const { rowCount } = await db.query(
        `INSERT INTO ${s}.subscribers (topic, name, claimed, committed)
         SELECT $1, $2, v, v FROM (SELECT CASE WHEN $3 = 'end'
           THEN (SELECT last_offset FROM ${s}.topics WHERE name = $1)
           ELSE COALESCE((SELECT min("offset") - 1 FROM ${s}.messages WHERE topic = $1),
                         (SELECT last_offset FROM ${s}.topics WHERE name = $1)) END AS v) x
         ON CONFLICT DO NOTHING`,
        [topic, subscriber, start],
      );
      return rowCount === 1;
    }),
  );
}

/**
 * Deletes a subscriber of a topic: its position, its claims and its resent copies, in one
 * transaction. Resolves `false` when there was no such subscriber.
 */
export async function deleteSubscriber(
  options: TopicAdminOptions & { readonly topic: string; readonly subscriber: string },
): Promise<boolean> {
  const s = schemaOf(options, ['topic', 'subscriber']);
  const topic = nonEmpty('topic', options.topic);
  const subscriber = nonEmpty('subscriber', options.subscriber);
  return withClient(options.connection, 'deleting a subscriber', (db) =>
    transaction(db, async () => {
      const { rowCount } = await db.query(`DELETE FROM ${s}.subscribers WHERE topic = $1 AND name = $2`, [
        topic,
        subscriber,
      ]);
      await db.query(`DELETE FROM ${s}.claims WHERE topic = $1 AND subscriber = $2`, [topic, subscriber]);
      await db.query(`DELETE FROM ${s}.jobs WHERE queue = $1`, [`topic:${topic}:${subscriber}`]);
      return rowCount === 1;
    }),
  );
}

async function committedOf(db: PgQueryable, s: string, topic: string, subscriber: string): Promise<string> {
  const { rows } = await db.query(`SELECT committed::text FROM ${s}.subscribers WHERE topic = $1 AND name = $2`, [
    topic,
    subscriber,
  ]);
  const row = rows[0] as { committed: string } | undefined;
  if (row === undefined) throw new NotFoundError(`no subscriber \`${subscriber}\` of topic \`${topic}\``);
  return row.committed;
}

/**
 * Reads, without claiming or moving anything, up to `max` messages of a topic after the
 * subscriber's committed offset (or after `after`, when that is further on), in offset order. What
 * is read stays uncommitted until {@link commitSubscriber}: read again, it is read again. Resolves
 * with the messages and the committed offset. Rejects with `NotFoundError` when the subscriber
 * does not exist.
 */
export async function readSubscriber(
  options: TopicAdminOptions & {
    readonly topic: string;
    readonly subscriber: string;
    readonly max: number;
    /** Read after this offset when it is past the committed one. @default the committed offset */
    readonly after?: number;
  },
): Promise<{ committed: string; messages: TopicMessage[] }> {
  const s = schemaOf(options, ['topic', 'subscriber', 'max', 'after']);
  const topic = nonEmpty('topic', options.topic);
  const subscriber = nonEmpty('subscriber', options.subscriber);
  const { max, after } = options;
  if (!Number.isSafeInteger(max) || max < 1) throw new InvalidOptionError('max', 'an integer ≥ 1', max);
  if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0))
    throw new InvalidOptionError('after', 'an offset ≥ 0', after);
  return withClient(options.connection, 'reading a subscriber', async (db) => {
    const committed = await committedOf(db, s, topic, subscriber);
    const { rows } = await db.query(
      `SELECT m."offset"::text AS "offset", m.payload, m.headers, m.created_at AS "createdAt" FROM ${s}.messages m
       WHERE m.topic = $1 AND m."offset" > GREATEST($2::bigint, $3::bigint) ORDER BY m."offset" LIMIT $4`,
      [topic, committed, after ?? 0, max],
    );
    return { committed, messages: rows as TopicMessage[] };
  });
}

/**
 * Commits a subscriber's position: every offset up to `offset` is done (cumulative, as a Kafka
 * commit). The position never moves back (an offset at or below it changes nothing; a replay is
 * {@link resetSubscriber}), and never past the topic's last offset (`InvalidOptionError`, nothing
 * written). Resolves with the committed offset. Rejects with `NotFoundError` when the subscriber
 * does not exist.
 */
export async function commitSubscriber(
  options: TopicAdminOptions & { readonly topic: string; readonly subscriber: string; readonly offset: number },
): Promise<string> {
  const s = schemaOf(options, ['topic', 'subscriber', 'offset']);
  const topic = nonEmpty('topic', options.topic);
  const subscriber = nonEmpty('subscriber', options.subscriber);
  const offset = options.offset;
  if (!Number.isSafeInteger(offset) || offset < 1) throw new InvalidOptionError('offset', 'an offset ≥ 1', offset);
  return withClient(options.connection, 'committing a subscriber', async (db) => {
    const { rows } = await db.query(
      `UPDATE ${s}.subscribers u SET committed = GREATEST(u.committed, $3), claimed = GREATEST(u.claimed, $3)
       FROM ${s}.topics t WHERE t.name = u.topic AND u.topic = $1 AND u.name = $2 AND $3 <= t.last_offset
       RETURNING u.committed::text`,
      [topic, subscriber, offset],
    );
    const row = rows[0] as { committed: string } | undefined;
    if (row !== undefined) return row.committed;
    await committedOf(db, s, topic, subscriber); // NotFoundError when it does not exist
    throw new InvalidOptionError('offset', 'an offset the topic has (≤ its last offset)', offset);
  });
}
