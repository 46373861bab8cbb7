import { publishMany } from '@rxq/postgres';
import { bytes, InvalidOptionError, NotFoundError } from '@rxq/core';
import pg from 'pg';
import { BaseAdmin, count } from './base.js';
import { matcher, Pacer, REDRIVEN_AT, selective } from './common.js';
import type {
  AdminCapabilities,
  DeadLetter,
  DeadLetterFilter,
  DeadLetters,
  ListOptions,
  PeekedMessage,
  PublishOptions,
  PurgeResult,
  QueueStats,
  ReadOptions,
  RedriveOptions,
  RedriveResult,
} from './types.js';

const PAGE = 1000;
const MAX_BATCH = 500;
/** rxq's dead-letter headers, which a redriven copy does not carry (see `redriveHeaders`). */
const DEAD_KEYS = [
  'x-rxq-attempt',
  'x-rxq-dead-reason',
  'x-rxq-dead-at',
  'x-rxq-origin',
  'x-rxq-error-name',
  'x-rxq-error-message',
];

interface DeadRow {
  id: string;
  source: string;
  subscriber: string | null;
  payload?: Buffer;
  size: number;
  headers: Record<string, unknown>;
  attempt: number;
  reason: string;
  error_name: string | null;
  error_message: string | null;
  dead_at: Date;
}

function textHeaders(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

function letterOf(r: DeadRow): DeadLetter {
  return {
    id: r.id,
    attempt: r.attempt,
    headers: textHeaders(r.headers),
    size: r.size,
    ...(r.payload ? { body: r.payload } : {}),
    reason: r.reason,
    error:
      r.error_name === null && r.error_message === null
        ? null
        : { name: r.error_name ?? 'Error', message: r.error_message ?? '' },
    deadAt: r.dead_at.getTime(),
    origin: r.subscriber === null ? r.source : `${r.source} (subscriber ${r.subscriber})`,
  };
}

/**
 * PostgreSQL (`@rxq/postgres`): the work queue's rows in `<schema>.jobs` (`queue = <queue>`), its
 * dead letters in `<schema>.dead_letters` (`source = <queue>`; a topic's carry their subscriber).
 * The schema is `rxq`, or the URL's `?schema=`.
 */
export class PostgresAdmin extends BaseAdmin {
  readonly broker = 'postgres';
  readonly capabilities: AdminCapabilities = { peek: true, publish: true, redrive: true, purge: true };
  readonly deadLetters: DeadLetters;
  private readonly s: string;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    queue: string,
    shown: string,
    secrets: readonly string[],
  ) {
    super(queue, shown, secrets);
    this.s = `"${schema}"`;
    this.deadLetters = this.deadLettersAt(`${schema}.dead_letters (source = ${queue})`);
  }

  static async open(url: URL, shown: string, secrets: readonly string[], queue: string): Promise<PostgresAdmin> {
    const schema = url.searchParams.get('schema') ?? 'rxq';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,47}$/.test(schema))
      throw new InvalidOptionError('schema', 'a schema name of letters, digits and _ (at most 48)', schema);
    const conn = new URL(url.href);
    conn.searchParams.delete('schema');
    if (conn.protocol === 'postgresql:') conn.protocol = 'postgres:';
    const pool = new pg.Pool({
      connectionString: conn.href,
      max: 2,
      connectionTimeoutMillis: 5_000,
      application_name: 'rxq:console',
    });
    pool.on('error', () => undefined);
    const admin = new PostgresAdmin(pool, schema, queue, shown, secrets);
    await admin.guard(async () => {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        await pool.end().catch(() => undefined);
        throw new Error(
          `cannot reach PostgreSQL at ${shown}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const r = await pool.query<{ t: string | null }>(`SELECT to_regclass($1) AS t`, [`${schema}.dead_letters`]);
      if (r.rows[0]?.t === null) {
        await pool.end().catch(() => undefined);
        throw new NotFoundError(
          `postgres: no rxq tables in schema ${schema} (run @rxq/postgres's migrate, or give ?schema=)`,
        );
      }
    });
    return admin;
  }

  protected async shutdown(): Promise<void> {
    await this.pool.end();
  }

  peek(n: number, options: ReadOptions = {}): Promise<PeekedMessage[]> {
    count(n, 'n');
    return this.guard(async () => {
      const r = await this.pool.query<{
        id: string;
        payload?: Buffer;
        size: number;
        headers: Record<string, unknown>;
        attempt: number;
      }>(
        `SELECT id::text AS id, ${options.body ? 'payload,' : ''} octet_length(payload) AS size, headers, attempt FROM ${this.s}.jobs
         WHERE queue = $1 AND run_at <= now() AND (locked_until IS NULL OR locked_until <= now())
         ORDER BY run_at, jobs.id LIMIT $2`,
        [this.queue, n],
      );
      return r.rows.map((row) => ({
        id: row.id,
        attempt: row.attempt,
        headers: textHeaders(row.headers),
        size: row.size,
        ...(row.payload ? { body: row.payload } : {}),
      }));
    });
  }

  publish(bodies: readonly (string | Buffer)[], options: PublishOptions = {}): Promise<number> {
    return this.guard(async () => {
      const payloads = bodies.map((b) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b));
      const ids = await publishMany(this.pool, this.queue, payloads, {
        schema: this.schema,
        codec: bytes,
        ...(options.headers ? { headers: options.headers } : {}),
      });
      return ids.length;
    });
  }

  stats(): Promise<QueueStats> {
    return this.guard(async () => {
      const r = await this.pool.query<{ depth: string; in_flight: string; delayed: string; dead: string }>(
        `SELECT
           count(*) FILTER (WHERE run_at <= now() AND (locked_until IS NULL OR locked_until <= now())) AS depth,
           count(*) FILTER (WHERE locked_until > now()) AS in_flight,
           count(*) FILTER (WHERE run_at > now() AND (locked_until IS NULL OR locked_until <= now())) AS delayed,
           (SELECT count(*) FROM ${this.s}.dead_letters WHERE source = $1) AS dead
         FROM ${this.s}.jobs WHERE queue = $1`,
        [this.queue],
      );
      const row = r.rows[0];
      // Consumers keep no registry in the database: their number is not known here.
      return {
        depth: Number(row?.depth ?? 0),
        inFlight: Number(row?.in_flight ?? 0),
        delayed: Number(row?.delayed ?? 0),
        deadLetters: Number(row?.dead ?? 0),
        consumers: null,
        lag: null,
      };
    });
  }

  /** Dead letters of the queue in id order, a page at a time. */
  private async *dead(withBody: boolean): AsyncGenerator<DeadRow[]> {
    for (let after = '0'; ; ) {
      const r = await this.pool.query<DeadRow>(
        `SELECT id::text AS id, source, subscriber, ${withBody ? 'payload,' : ''} octet_length(payload) AS size, headers, attempt, reason, error_name, error_message, dead_at
         FROM ${this.s}.dead_letters d WHERE source = $1 AND d.id > $2::bigint ORDER BY d.id LIMIT ${PAGE}`,
        [this.queue, after],
      );
      if (r.rows.length === 0) return;
      yield r.rows;
      after = (r.rows[r.rows.length - 1] as DeadRow).id;
    }
  }

  protected async listDead(options: ListOptions): Promise<DeadLetter[]> {
    const match = matcher(options);
    const limit = options.limit ?? Infinity;
    const out: DeadLetter[] = [];
    if (limit === 0) return out;
    for await (const rows of this.dead(options.body === true)) {
      for (const row of rows) {
        const l = letterOf(row);
        if (!match(l)) continue;
        out.push(l);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  protected async redriveDead(filter: DeadLetterFilter, options: RedriveOptions): Promise<RedriveResult> {
    const total = await this.pool.query<{ n: string; max: string | null }>(
      `SELECT count(*) AS n, max(id)::text AS max FROM ${this.s}.dead_letters WHERE source = $1`,
      [this.queue],
    );
    const pacer = new Pacer(options, Number(total.rows[0]?.n ?? 0));
    const last = BigInt(total.rows[0]?.max ?? '0');
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    pacer.progress();
    for await (const rows of this.dead(false)) {
      // Only what was there at the start: letters dead-lettered again meanwhile wait.
      const chosen = rows.filter((r) => BigInt(r.id) <= last && match(letterOf(r))).slice(0, left);
      for (let i = 0; i < chosen.length && !pacer.stopped; ) {
        const batch = chosen.slice(i, i + pacer.batch(MAX_BATCH));
        i += batch.length;
        left -= batch.length;
        await pacer.take(batch.length);
        pacer.noteMatched(batch.map(letterOf));
        if (!options.dryRun) {
          // One statement: the rows leave dead_letters and enter jobs in the same transaction.
          const r = await this.pool.query<{ n: string }>(
            `WITH moved AS (
               DELETE FROM ${this.s}.dead_letters WHERE source = $1 AND id = ANY($2::bigint[]) RETURNING *
             ), ins AS (
               INSERT INTO ${this.s}.jobs (queue, payload, headers, attempt)
               SELECT CASE WHEN subscriber IS NULL THEN source ELSE 'topic:' || source || ':' || subscriber END,
                      payload, (headers - $3::text[]) || jsonb_build_object('${REDRIVEN_AT}', $4::text), 1
               FROM moved ORDER BY id
               RETURNING queue
             )
             SELECT count(*) AS n, (SELECT count(pg_notify($5, q)) FROM (SELECT DISTINCT queue AS q FROM ins) d) AS notified FROM ins`,
            [this.queue, batch.map((b) => b.id), DEAD_KEYS, String(Date.now()), `rxq_${this.schema}`],
          );
          pacer.moved += Number(r.rows[0]?.n ?? 0);
        }
        pacer.progress();
      }
      if (left <= 0 || pacer.stopped || BigInt((rows[rows.length - 1] as DeadRow).id) >= last) break;
    }
    return pacer.result();
  }

  protected async purgeDead(filter: DeadLetterFilter): Promise<PurgeResult> {
    if (!selective(filter) && filter.limit === undefined) {
      const r = await this.pool.query(`DELETE FROM ${this.s}.dead_letters WHERE source = $1`, [this.queue]);
      return { purged: r.rowCount ?? 0 };
    }
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    let purged = 0;
    for await (const rows of this.dead(false)) {
      const ids = rows
        .filter((r) => match(letterOf(r)))
        .slice(0, left)
        .map((r) => r.id);
      left -= ids.length;
      if (ids.length > 0)
        purged +=
          (
            await this.pool.query(`DELETE FROM ${this.s}.dead_letters WHERE source = $1 AND id = ANY($2::bigint[])`, [
              this.queue,
              ids,
            ])
          ).rowCount ?? 0;
      if (left <= 0) break;
    }
    return { purged };
  }
}
