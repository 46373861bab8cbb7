import { attemptOf, type Delivery } from '@rxq/core';

/** What PostgreSQL delivered beside the body: the row as stored. */
export interface PgTransport {
  /** `job`: a row of `jobs` (a queue message, or a subscriber's resent copy); `log`: a topic message. */
  readonly kind: 'job' | 'log';
  /** The `jobs.id` of a job. */
  readonly jobId?: string | undefined;
  /** The topic offset of a log message. */
  readonly offset?: string | undefined;
  /** The claim (range of offsets) a log message was read under. */
  readonly claimId?: string | undefined;
  /** The `headers` column as stored (JSON values as written by the producer). */
  readonly headers: Readonly<Record<string, unknown>>;
  /** When the row was written. */
  readonly createdAt: Date;
}

/** A message of `pgQueue` or `pgTopic`, before decoding. */
export interface PgDelivery extends Delivery {
  readonly payload: Buffer;
  readonly transport: PgTransport;
}

/** The headers column as strings (a non-string JSON value is shown as its JSON text). */
export function stringHeaders(raw: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

/** A row of `jobs` as a delivery. */
export interface JobRow {
  readonly id: string;
  readonly payload: Buffer;
  readonly headers: Record<string, unknown> | null;
  readonly attempt: number;
  readonly created_at: Date;
}

export function jobDelivery(row: JobRow, source: string): PgDelivery {
  const raw = row.headers ?? {};
  const headers = stringHeaders(raw);
  // A copy written by rxq carries its attempt in the column; a header a producer set counts too.
  const attempt = Math.max(row.attempt, attemptOf(headers));
  return {
    id: row.id,
    payload: row.payload,
    headers,
    attempt,
    source,
    timestamp: row.created_at.getTime(),
    transport: { kind: 'job', jobId: row.id, headers: raw, createdAt: row.created_at },
  };
}
