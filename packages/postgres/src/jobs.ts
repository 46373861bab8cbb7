import type { PgQueryable } from './connection.js';
import type { JobRow } from './delivery.js';
import { msInterval } from './sql.js';

/** The statements on `jobs` that queue sessions (and a topic's resent copies) run. */
export class Jobs {
  /**
   * @param s the quoted schema
   * @param sc a FROM item that sets `synchronous_commit` for the statement's own transaction
   */
  constructor(
    private readonly s: string,
    private readonly sc: string,
  ) {}

  /**
   * Claims up to `max` due messages of `queue` in one statement (`FOR UPDATE SKIP LOCKED`, so
   * concurrent consumers never wait for each other or claim the same row): each claimed row's
   * `locked_until` becomes the end of its lease and `owner` this session. A row that already had
   * an owner was claimed by a consumer that did not settle it: its attempt grows by one. In due
   * order.
   */
  async claim(db: PgQueryable, queue: string, max: number, owner: string, leaseMs: number): Promise<JobRow[]> {
    const { rows } = await db.query(
      `WITH c AS (
         SELECT id, run_at FROM ${this.s}.jobs
         WHERE queue = $1 AND run_at <= now() AND (locked_until IS NULL OR locked_until <= now())
         ORDER BY run_at, id LIMIT $2
         FOR UPDATE SKIP LOCKED)
       UPDATE ${this.s}.jobs j
       SET locked_until = now() + ${msInterval(4)}, owner = $3,
           attempt = j.attempt + CASE WHEN j.owner IS NULL THEN 0 ELSE 1 END
       FROM c, ${this.sc} WHERE j.id = c.id
       RETURNING j.id::text AS id, j.payload, j.headers, j.attempt, j.created_at, c.run_at AS due`,
      [queue, max, owner, leaseMs],
    );
    const out = rows as (JobRow & { due: Date })[];
    out.sort((a, b) => a.due.getTime() - b.due.getTime() || Number(BigInt(a.id) - BigInt(b.id)));
    return out;
  }

  /**
   * Milliseconds until the next row of `queue` is due or a lease ends, or undefined. Called after
   * a claim found nothing: every due row is then leased, so the second part reads few rows.
   */
  async nextDueMs(db: PgQueryable, queue: string): Promise<number | undefined> {
    const { rows } = await db.query(
      `SELECT extract(epoch FROM (LEAST(
         (SELECT min(run_at) FROM ${this.s}.jobs WHERE queue = $1 AND run_at > now()),
         (SELECT min(locked_until) FROM ${this.s}.jobs WHERE queue = $1 AND run_at <= now())
       ) - now())) * 1000 AS ms`,
      [queue],
    );
    const ms = (rows[0] as { ms: string | number | null } | undefined)?.ms;
    return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms));
  }

  async ack(db: PgQueryable, ids: readonly string[]): Promise<void> {
    await db.query(`DELETE FROM ${this.s}.jobs USING ${this.sc} WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Extends the leases of rows this session still owns. */
  async extend(db: PgQueryable, ids: readonly string[], owner: string, leaseMs: number): Promise<void> {
    await db.query(
      `UPDATE ${this.s}.jobs SET locked_until = now() + ${msInterval(3)} FROM ${this.sc}
       WHERE id = ANY($1::bigint[]) AND owner = $2`,
      [ids, owner, leaseMs],
    );
  }

  /** Makes rows due again now: `count` says whether it counts as an attempt (nack) or not (release). */
  async giveBack(db: PgQueryable, ids: readonly string[], owner: string, count: boolean): Promise<void> {
    await db.query(
      `UPDATE ${this.s}.jobs SET locked_until = NULL, owner = NULL, attempt = attempt + $3
       FROM ${this.sc} WHERE id = ANY($1::bigint[]) AND owner = $2`,
      [ids, owner, count ? 1 : 0],
    );
  }

  /**
   * A resent copy: the same row with the new attempt, the error in its headers (the stored
   * headers kept as they were), due after `delayMs`.
   */
  async resend(
    db: PgQueryable,
    id: string,
    owner: string,
    attempt: number,
    delayMs: number,
    extra: Record<string, string>,
  ): Promise<void> {
    await db.query(
      `UPDATE ${this.s}.jobs SET run_at = now() + ${msInterval(4)}, locked_until = NULL, owner = NULL,
         attempt = $3, headers = headers || $5::jsonb
       FROM ${this.sc} WHERE id = $1 AND owner = $2`,
      [id, owner, attempt, delayMs, JSON.stringify(extra)],
    );
  }

  /** Adds a resent copy of a topic message to a subscriber's retry queue. */
  async insert(
    db: PgQueryable,
    queue: string,
    payload: Buffer,
    headers: Readonly<Record<string, unknown>>,
    attempt: number,
    delayMs: number,
  ): Promise<void> {
    await db.query(
      `INSERT INTO ${this.s}.jobs (queue, payload, headers, attempt, run_at)
       VALUES ($1, $2, $3::jsonb, $4, now() + ${msInterval(5)})`,
      [queue, payload, JSON.stringify(headers), attempt, delayMs],
    );
  }

  /** Moves a row to `dead_letters` with the reason and error, in one statement. */
  async deadLetter(
    db: PgQueryable,
    id: string,
    source: string,
    subscriber: string | null,
    reason: string,
    error: { readonly name: string; readonly message: string } | undefined,
  ): Promise<void> {
    await db.query(
      `WITH d AS (DELETE FROM ${this.s}.jobs USING ${this.sc} WHERE id = $1 RETURNING jobs.*)
       INSERT INTO ${this.s}.dead_letters
         (source, subscriber, message_id, payload, headers, attempt, reason, error_name, error_message, created_at)
       SELECT $2, $3, d.id::text, d.payload, d.headers, d.attempt, $4, $5, $6, d.created_at FROM d`,
      [id, source, subscriber, reason, error?.name ?? null, error?.message.slice(0, 1_000) ?? null],
    );
  }
}
