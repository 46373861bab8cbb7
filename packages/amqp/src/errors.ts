import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';

/** The AMQP reply code of an amqplib error: its `code`, or the one its message quotes. */
export function replyCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const message = error instanceof Error ? error.message : '';
  const match = /\b(\d{3}) \([A-Z_-]+\)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** Node's TLS errors that retrying with the same certificates, key or passphrase cannot mend. */
const TLS_FATAL =
  /^(ERR_OSSL_|ERR_SSL_.*ALERT|ERR_TLS_CERT|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_)/;

function nodeCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Classifies an amqplib (or socket) error at rxq's boundary:
 *
 * | broker says | rxq error | retryable |
 * |---|---|---|
 * | 403 ACCESS_REFUSED at login (bad user or password), a TLS certificate or key refused | `AuthenticationError` | no |
 * | 403 ACCESS_REFUSED on a vhost, queue or exchange | `AuthorizationError` | no |
 * | 530 "access to vhost … refused"; a vhost refused at open (amqplib does not say whether it is missing or forbidden) | `AuthorizationError` | no |
 * | 404 NOT_FOUND, 530 "vhost … not found" | `NotFoundError` | no |
 * | 540 NOT_IMPLEMENTED | `UnsupportedError` | no |
 * | 406 PRECONDITION_FAILED (an inequivalent declaration) | `RxqError('AMQP_PRECONDITION_FAILED')` | no |
 * | any other 530 NOT_ALLOWED | `RxqError('AMQP_NOT_ALLOWED')` | no |
 * | anything else: a refused or reset socket, a closed channel or connection, 320 CONNECTION_FORCED | `ConnectionLostError` | yes |
 *
 * The message says what rxq was doing (`what`, which never carries a password) and the broker's
 * reason; `hint` is appended to non-retryable errors.
 */
export function amqpError(what: string, error: unknown, hint = ''): RxqError {
  if (error instanceof RxqError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const message = `amqp: ${what} failed: ${reason}`;
  const code = replyCode(error);
  switch (code) {
    case 403:
      return /login|authentication mechanism|handshake terminated/i.test(reason)
        ? new AuthenticationError(`${message}: check the user and password`, error)
        : new AuthorizationError(`${message}: grant the user permissions on it`, error);
    case 404:
      return new NotFoundError(`${message}${hint}`, error);
    case 540:
      return new UnsupportedError(message, error);
    case 406:
      return new RxqError('AMQP_PRECONDITION_FAILED', `${message}${hint}`, { cause: error });
    case 530:
      if (/not found/i.test(reason)) return new NotFoundError(message, error);
      if (/refused/i.test(reason))
        return new AuthorizationError(`${message}: grant the user access to the vhost`, error);
      return new RxqError('AMQP_NOT_ALLOWED', message, { cause: error });
  }
  // amqplib reports a connection.close in answer to connection.open without its reply code.
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(reason))
    return new AuthorizationError(
      `${message}: the broker refused the vhost: it does not exist, or the user has no permission on it`,
      error,
    );
  const tls = nodeCode(error);
  if (tls !== undefined && TLS_FATAL.test(tls))
    return new AuthenticationError(`${message} (${tls}): check the TLS certificates, key and passphrase`, error);
  return new ConnectionLostError(message, error);
}

/**
 * Replaces the password of an AMQP URL with `***`, for messages and logs.
 *
 * @example
 * redactUrl('amqp://app:secret@rabbit:5672/prod'); // 'amqp://app:***@rabbit:5672/prod'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}
