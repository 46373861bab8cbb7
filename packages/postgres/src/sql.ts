import { InvalidOptionError } from '@rxq/core';

/** The schema rxq uses when none is given. */
export const DEFAULT_SCHEMA = 'rxq';

/**
 * Checks a schema name and returns it quoted for SQL. Only plain identifiers are accepted
 * (letters, digits, `_`, at most 48 characters, not starting with a digit), so a name can never
 * carry SQL and the derived names (the NOTIFY channel, the advisory lock key) stay short.
 */
export function quoteSchema(option: string, schema: unknown): string {
  if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,47}$/.test(schema))
    throw new InvalidOptionError(option, 'a schema name of letters, digits and _ (at most 48)', schema);
  return `"${schema}"`;
}

/** The NOTIFY channel of a schema: one per schema, the payload names the queue or topic. */
export function channelOf(schema: string): string {
  return `rxq_${schema}`;
}

/** Milliseconds as an SQL interval expression over parameter `$n`. */
export function msInterval(n: number): string {
  return `($${n}::double precision * interval '1 millisecond')`;
}

/** The queue that holds the resent copies of one subscriber of a topic. */
export function retryQueueOf(topic: string, subscriber: string): string {
  return `topic:${topic}:${subscriber}`;
}

/**
 * A FROM item that sets `synchronous_commit` for the statement's own transaction (rxq's own
 * claims and settlements, never a publish): with `off`, a PostgreSQL crash may forget the last
 * moments of them, which means redelivery, never loss.
 */
export function syncCommit(synchronous: boolean): string {
  return `(SELECT set_config('synchronous_commit', '${synchronous ? 'on' : 'off'}', true)) AS _sc`;
}
