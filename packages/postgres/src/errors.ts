import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';

/** SQLSTATE classes and codes after which the same statement can succeed on a new try. */
const RETRYABLE_CLASSES = new Set(['08', '53', '57', '58', '40']);
const RETRYABLE_CODES = new Set(['55P03', '55006', '25006']);
/** Node socket errors: the server is down, restarting or unreachable. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Translates an error of `pg` at the boundary into rxq's classes, by SQLSTATE where the server
 * sent one: bad credentials are an {@link AuthenticationError}, a missing privilege an
 * {@link AuthorizationError}, a missing database, schema or table a {@link NotFoundError} (run
 * `migrate()`), a server going down or a connection cut ({@link ConnectionLostError}) or a
 * transient conflict (serialization failure, deadlock, lock timeout) is retryable, and any other
 * server error is a non-retryable `PG_<sqlstate>`. Messages name what failed, never a password or
 * a message body.
 */
export function translate(error: unknown, what: string): RxqError {
  if (error instanceof RxqError) return error;
  const code = codeOf(error);
  const text = error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
  if (code === undefined || SOCKET_CODES.has(code))
    return new ConnectionLostError(`PostgreSQL connection lost during ${what}: ${text}`, error);
  if (code === '28P01' || code === '28000')
    return new AuthenticationError(`PostgreSQL refused the credentials (${code}) during ${what}`, error);
  if (code === '42501') return new AuthorizationError(`PostgreSQL refused ${what}: ${text} (42501)`, error);
  if (code === '3D000' || code === '3F000' || code === '42P01')
    return new NotFoundError(
      `PostgreSQL: ${text} (${code}) during ${what}; is the database migrated (migrate())?`,
      error,
    );
  if (code === '0A000') return new UnsupportedError(`PostgreSQL does not support ${what}: ${text} (0A000)`, error);
  if (code.startsWith('08') || code.startsWith('57P') || code === '53300')
    return new ConnectionLostError(`PostgreSQL connection lost during ${what}: ${text} (${code})`, error);
  const retryable = RETRYABLE_CLASSES.has(code.slice(0, 2)) || RETRYABLE_CODES.has(code);
  return new RxqError(`PG_${code}`, `PostgreSQL refused ${what}: ${text} (${code})`, { retryable, cause: error });
}
