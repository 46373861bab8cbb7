import { rejectUnknownOptions } from '@rxq/core';
import { checkConnection, Pools, type PgConnection, type PgQueryable } from './connection.js';
import { translate } from './errors.js';
import { channelOf, DEFAULT_SCHEMA, quoteSchema } from './sql.js';
import { silentLogger } from '@rxq/core';

/** The version of the schema {@link schemaSql} creates. */
export const SCHEMA_VERSION = 1;

/**
 * The SQL that creates rxq's tables in `schema` (documented in the README). Every statement is
 * idempotent (`IF NOT EXISTS`): {@link migrate} runs it under an advisory lock on every start.
 */
export function schemaSql(schema: string = DEFAULT_SCHEMA): string {
  const s = quoteSchema('schema', schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer NOT NULL);
-- Work queues: one row per message. A claim sets owner and locked_until (the lease's end), columns
-- outside every index so that claims, renewals and releases are HOT updates.
CREATE TABLE IF NOT EXISTS ${s}.jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue text NOT NULL,
  payload bytea NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  attempt integer NOT NULL DEFAULT 1,
  run_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  owner text,
  created_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 70);
CREATE INDEX IF NOT EXISTS jobs_claim ON ${s}.jobs (queue, run_at, id);
-- Dead letters of queues and topic subscribers.
CREATE TABLE IF NOT EXISTS ${s}.dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source text NOT NULL,
  subscriber text,
  message_id text NOT NULL,
  payload bytea NOT NULL,
  headers jsonb NOT NULL,
  attempt integer NOT NULL,
  reason text NOT NULL,
  error_name text,
  error_message text,
  created_at timestamptz NOT NULL,
  dead_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dead_letters_source ON ${s}.dead_letters (source, id);
-- Topic logs: gapless offsets per topic, allocated under the topic row's lock.
CREATE TABLE IF NOT EXISTS ${s}.topics (
  name text PRIMARY KEY,
  last_offset bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ${s}.messages (
  topic text NOT NULL,
  "offset" bigint NOT NULL,
  payload bytea NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (topic, "offset")
);
CREATE INDEX IF NOT EXISTS messages_created ON ${s}.messages (topic, created_at);
-- Subscribers: claimed = the highest offset handed out, committed = every offset up to it is settled.
CREATE TABLE IF NOT EXISTS ${s}.subscribers (
  topic text NOT NULL,
  name text NOT NULL,
  claimed bigint NOT NULL,
  committed bigint NOT NULL,
  PRIMARY KEY (topic, name)
);
-- Ranges of offsets a consumer of a subscriber holds: next = the first one not yet settled.
CREATE TABLE IF NOT EXISTS ${s}.claims (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic text NOT NULL,
  subscriber text NOT NULL,
  next bigint NOT NULL,
  last bigint NOT NULL,
  deliveries integer NOT NULL DEFAULT 1,
  owner text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_subscriber ON ${s}.claims (topic, subscriber, expires_at);
-- Publishing from SQL (other languages, triggers): the same rows and NOTIFY as publish/publishTopic.
CREATE OR REPLACE FUNCTION ${s}.publish(queue text, payload bytea, headers jsonb DEFAULT '{}', delay_ms double precision DEFAULT 0)
RETURNS bigint LANGUAGE sql AS $$
  WITH ins AS (
    INSERT INTO ${s}.jobs (queue, payload, headers, run_at)
    VALUES (queue, payload, headers, now() + delay_ms * interval '1 millisecond') RETURNING id)
  SELECT ins.id FROM ins, (SELECT pg_notify('${channelOf(schema)}', queue)) n
$$;
CREATE OR REPLACE FUNCTION ${s}.publish_topic(topic text, payload bytea, headers jsonb DEFAULT '{}')
RETURNS bigint LANGUAGE sql AS $$
  WITH t AS (
    INSERT INTO ${s}.topics AS t (name, last_offset) VALUES (topic, 1)
    ON CONFLICT (name) DO UPDATE SET last_offset = t.last_offset + 1 RETURNING last_offset),
  ins AS (INSERT INTO ${s}.messages (topic, "offset", payload, headers)
    SELECT topic, t.last_offset, payload, headers FROM t RETURNING "offset")
  SELECT ins."offset" FROM ins, (SELECT pg_notify('${channelOf(schema)}', topic)) n
$$;
INSERT INTO ${s}.schema_version (version)
  SELECT ${SCHEMA_VERSION} WHERE NOT EXISTS (SELECT 1 FROM ${s}.schema_version);
`;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** A `postgres://` connection string or the app's `pg` Pool (never ended). */
  readonly connection: PgConnection;
  /** The schema that holds rxq's tables. @default 'rxq' */
  readonly schema?: string;
}

/**
 * Creates rxq's schema and tables where they are missing. Safe to run on every start and from
 * several processes at once: it runs in one transaction under a transaction-level advisory lock
 * keyed by the schema name, so concurrent runs wait for each other and the later ones find
 * everything there.
 *
 * @example
 * await migrate({ connection: pool, schema: 'jobs' });
 */
export async function migrate(options: MigrateOptions): Promise<void> {
  rejectUnknownOptions(options, ['connection', 'schema']);
  const schema = options.schema ?? DEFAULT_SCHEMA;
  quoteSchema('schema', schema);
  const pools = new Pools(checkConnection(options.connection), 'migrate', 1);
  const pool = pools.acquire(silentLogger);
  try {
    const client = await pool.connect();
    try {
      await migrateWith(client, schema);
    } finally {
      client.release();
    }
  } catch (error) {
    throw translate(error, 'the migration');
  } finally {
    await pools.release();
  }
}

async function migrateWith(client: PgQueryable, schema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rxq:migrate:${schema}`]);
    await client.query(schemaSql(schema));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
