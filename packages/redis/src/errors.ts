import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';

/** Reply codes after which trying again later can succeed (a server loading, busy or failing over). */
// MOVED and ASK reach rxq only on a blocking connection to one cluster node (the cluster client
// follows them itself): the slot moved (a failover, a resharding); a new session finds its node.
const TRANSIENT = new Set(['LOADING', 'BUSY', 'TRYAGAIN', 'MASTERDOWN', 'READONLY', 'CLUSTERDOWN', 'MOVED', 'ASK']);

/** Node's codes for a TLS certificate the client did not accept. */
const CERTIFICATE =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_REJECTED|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/**
 * Translates what ioredis (or the server) reported into rxq's taxonomy, at the boundary:
 *
 * - `WRONGPASS`, `NOAUTH`, `invalid password`, a TLS certificate the client refused →
 *   {@link AuthenticationError} (not retryable);
 * - `NOPERM`, a script refused by an ACL → {@link AuthorizationError} (not retryable);
 * - `DB index is out of range` → {@link NotFoundError} (the database of the URL does not exist);
 * - `unknown command` / `unknown subcommand` / a command's syntax a server too old does not know →
 *   {@link UnsupportedError} naming the command (rxq needs Redis 6.2);
 * - `NOGROUP` (a consumer group deleted under a running consumer: reopening creates it),
 *   `LOADING`, `BUSY`, `TRYAGAIN`, `MASTERDOWN`, `READONLY`, `CLUSTERDOWN`, `MOVED`, `ASK` → a
 *   retryable `REDIS_<code>`;
 * - any other error reply (`WRONGTYPE`, a script error) → a non-retryable `REDIS_<code>`;
 * - anything else (a closed socket, a refused connection, a timeout) → a retryable
 *   {@link ConnectionLostError}.
 *
 * Messages never carry credentials: a server's reply does not quote them, and a URL is never
 * part of a message.
 */
export function classify(raw: unknown, what: string): RxqError {
  if (raw instanceof RxqError) return raw;
  const error = clean(raw);
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  const errno = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (CERTIFICATE.test(errno))
    return new AuthenticationError(
      `the Redis server's TLS certificate was not accepted during ${what} (${errno}): give its CA in the \`tls\` option (\`tls.ca\`)`,
      error,
    );
  if (name !== 'ReplyError') return new ConnectionLostError(`Redis connection lost during ${what}`, error);
  const code = /^[A-Z]+/.exec(message)?.[0] ?? 'ERR';
  const text = message.slice(0, 200);
  if (code === 'WRONGPASS' || code === 'NOAUTH' || /invalid (username-)?password/i.test(message))
    return new AuthenticationError(
      `Redis refused the credentials during ${what} (${code}): check the user name and password of the connection`,
      error,
    );
  if (code === 'NOPERM' || /user executing the script can't access|no permissions/i.test(message))
    return new AuthorizationError(
      `Redis refused ${what} for this user (${text}): grant the user the commands and keys rxq uses (see the README)`,
      error,
    );
  if (/DB index is out of range/i.test(message))
    return new NotFoundError(
      `Redis has no such database (${text}): use a database number the server has (\`redis://host:port/<db>\`)`,
      error,
    );
  const unknown = /unknown (sub)?command '?([^'\s]*)'?/i.exec(message);
  if (unknown)
    return new UnsupportedError(
      `Redis does not know the command ${unknown[2] || '(unnamed)'} used for ${what}: rxq needs Redis 6.2 or later`,
      error,
    );
  if (/syntax error|wrong number of arguments/i.test(message) && /LPOP|BLMOVE|XAUTOCLAIM|lpop/.test(message))
    return new UnsupportedError(`Redis rejected ${what} (${text}): rxq needs Redis 6.2 or later`, error);
  return new RxqError(`REDIS_${code}`, `Redis refused ${what}: ${text}`, {
    retryable: code === 'NOGROUP' || TRANSIENT.has(code),
    cause: error,
  });
}

/**
 * The error without what ioredis attaches to it: a `ReplyError` carries the failed command with
 * its arguments (`AUTH`'s password, a pushed body), which must never travel in a `cause`.
 */
export function clean(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  if (!('command' in error) && !('previousErrors' in error)) return error;
  const copy = new Error(error.message);
  copy.name = error.name;
  if ('code' in error) (copy as Error & { code: unknown }).code = error.code;
  return copy;
}
