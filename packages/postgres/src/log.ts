import type { PgQueryable } from './connection.js';
import { msInterval } from './sql.js';

/** One row of a claim read: the claim, and one message of it (none when the range was pruned). */
export interface ClaimRow {
  readonly claim: string;
  readonly last: string;
  readonly deliveries: number;
  readonly offset: string | null;
  readonly payload: Buffer | null;
  readonly headers: Record<string, unknown> | null;
  readonly created_at: Date | null;
}

/** The progress of one claim, written by {@link Log.commit}. */
export interface ClaimProgress {
  readonly id: string;
  /** The first offset not yet settled; past the claim's last offset, the claim is done. */
  readonly next: number;
}

/** The statements on a topic log that subscriber sessions run. */
export class Log {
  /**
   * @param s the quoted schema
   * @param sc a FROM item that sets `synchronous_commit` for the statement's own transaction
   */
  constructor(
    private readonly s: string,
    private readonly sc: string,
  ) {}

  /** Creates the subscriber if it is new, at the end of the topic or at its beginning. */
  async subscribe(db: PgQueryable, topic: string, subscriber: string, start: 'end' | 'beginning'): Promise<void> {
    await db.query(
      `INSERT INTO ${this.s}.subscribers (topic, name, claimed, committed)
       SELECT $1, $2, v, v FROM (SELECT CASE WHEN $3 = 'end'
         THEN COALESCE((SELECT last_offset FROM ${this.s}.topics WHERE name = $1), 0)
         ELSE COALESCE((SELECT min("offset") - 1 FROM ${this.s}.messages WHERE topic = $1),
                       (SELECT last_offset FROM ${this.s}.topics WHERE name = $1), 0) END AS v) x
       ON CONFLICT DO NOTHING`,
      [topic, subscriber, start],
    );
  }

  private read(from: string): string {
    return `SELECT ${from}.id::text AS claim, ${from}.last::text AS last, ${from}.deliveries,
              m."offset"::text AS "offset", m.payload, m.headers, m.created_at
       FROM ${from} LEFT JOIN ${this.s}.messages m
         ON m.topic = $1 AND m."offset" BETWEEN ${from}.next AND ${from}.last
       ORDER BY m."offset"`;
  }

  /**
   * Claims the next up to `max` offsets of the subscriber in one statement: advances `claimed`
   * under the subscriber row's lock (so the processes of one subscriber take disjoint ranges),
   * records the range as a claim leased to `owner`, and reads its messages.
   */
  async claimNext(
    db: PgQueryable,
    topic: string,
    subscriber: string,
    max: number,
    owner: string,
    leaseMs: number,
  ): Promise<ClaimRow[]> {
    const { rows } = await db.query(
      `WITH sub AS (
         SELECT s.claimed, t.last_offset FROM ${this.s}.subscribers s
         JOIN ${this.s}.topics t ON t.name = s.topic
         WHERE s.topic = $1 AND s.name = $2 FOR UPDATE OF s),
       upd AS (
         UPDATE ${this.s}.subscribers s SET claimed = LEAST(sub.claimed + $3, sub.last_offset)
         FROM sub, ${this.sc} WHERE s.topic = $1 AND s.name = $2 AND sub.claimed < sub.last_offset
         RETURNING sub.claimed AS prev, s.claimed AS upto),
       ins AS (
         INSERT INTO ${this.s}.claims (topic, subscriber, next, last, owner, expires_at)
         SELECT $1, $2, prev + 1, upto, $4, now() + ${msInterval(5)} FROM upd
         RETURNING id, next, last, deliveries)
       ${this.read('ins')}`,
      [topic, subscriber, max, owner, leaseMs],
    );
    return rows as ClaimRow[];
  }

  /**
   * Takes over one claim whose lease ended (its consumer died, or released it), at most `max`
   * offsets of it (the rest stays a claim of its own for the next taker), and reads its messages
   * again with one more delivery counted.
   */
  async takeOver(
    db: PgQueryable,
    topic: string,
    subscriber: string,
    max: number,
    owner: string,
    leaseMs: number,
  ): Promise<ClaimRow[]> {
    const { rows } = await db.query(
      `WITH c AS (
         SELECT id, last FROM ${this.s}.claims
         WHERE topic = $1 AND subscriber = $2 AND expires_at < now()
         ORDER BY next LIMIT 1 FOR UPDATE SKIP LOCKED),
       upd AS (
         UPDATE ${this.s}.claims k SET owner = $4, expires_at = now() + ${msInterval(5)},
           deliveries = k.deliveries + 1, last = LEAST(k.last, k.next + $3 - 1)
         FROM c, ${this.sc} WHERE k.id = c.id
         RETURNING k.id, k.next, k.last, k.deliveries, c.last AS old_last),
       rest AS (
         INSERT INTO ${this.s}.claims (topic, subscriber, next, last, deliveries, owner, expires_at)
         SELECT $1, $2, last + 1, old_last, deliveries - 1, '', '-infinity' FROM upd WHERE old_last > last)
       ${this.read('upd')}`,
      [topic, subscriber, max, owner, leaseMs],
    );
    return rows as ClaimRow[];
  }

  /**
   * Writes the progress of this owner's claims (a claim done is deleted) and the subscriber's
   * committed offset: one below the lowest unsettled offset of any claim, or `claimed` when there
   * is none. A concurrent writer may make it lag for a moment; it never runs ahead.
   */
  async commit(
    db: PgQueryable,
    topic: string,
    subscriber: string,
    owner: string,
    progress: readonly ClaimProgress[],
  ): Promise<void> {
    await db.query(
      `WITH u AS (SELECT * FROM unnest($3::bigint[], $4::bigint[]) AS u(id, next)),
       upd AS (
         UPDATE ${this.s}.claims c SET next = u.next FROM u
         WHERE c.id = u.id AND c.owner = $5 AND u.next <= c.last RETURNING c.id, c.next),
       del AS (
         DELETE FROM ${this.s}.claims c USING u
         WHERE c.id = u.id AND c.owner = $5 AND u.next > c.last RETURNING c.id)
       UPDATE ${this.s}.subscribers s SET committed = LEAST(
         (SELECT min(k.next) FROM ${this.s}.claims k WHERE k.topic = $1 AND k.subscriber = $2
            AND k.id NOT IN (SELECT id FROM upd UNION ALL SELECT id FROM del)),
         (SELECT min(next) FROM upd),
         (SELECT claimed + 1 FROM ${this.s}.subscribers WHERE topic = $1 AND name = $2)) - 1
       FROM ${this.sc} WHERE s.topic = $1 AND s.name = $2`,
      [topic, subscriber, progress.map((p) => p.id), progress.map((p) => p.next), owner],
    );
  }

  async extend(db: PgQueryable, ids: readonly string[], owner: string, leaseMs: number): Promise<void> {
    await db.query(
      `UPDATE ${this.s}.claims SET expires_at = now() + ${msInterval(3)} FROM ${this.sc}
       WHERE id = ANY($1::bigint[]) AND owner = $2`,
      [ids, owner, leaseMs],
    );
  }

  /** Gives claims back for the next taker at once, without counting a delivery. */
  async release(db: PgQueryable, ids: readonly string[], owner: string): Promise<void> {
    await db.query(
      `UPDATE ${this.s}.claims SET owner = '', expires_at = '-infinity', deliveries = deliveries - 1
       FROM ${this.sc} WHERE id = ANY($1::bigint[]) AND owner = $2`,
      [ids, owner],
    );
  }

  /** Copies a message to `dead_letters`. */
  async deadLetter(
    db: PgQueryable,
    topic: string,
    subscriber: string,
    offset: string,
    attempt: number,
    reason: string,
    error: { readonly name: string; readonly message: string } | undefined,
  ): Promise<void> {
    await db.query(
      `INSERT INTO ${this.s}.dead_letters
         (source, subscriber, message_id, payload, headers, attempt, reason, error_name, error_message, created_at)
       SELECT topic, $2, "offset"::text, payload, headers, $4, $5, $6, $7, created_at
       FROM ${this.s}.messages WHERE topic = $1 AND "offset" = $3`,
      [topic, subscriber, offset, attempt, reason, error?.name ?? null, error?.message.slice(0, 1_000) ?? null],
    );
  }
}
